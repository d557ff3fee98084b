"""case-ledger's process: the cases API, the consumer that folds events into cases, and
the relay that publishes case events from the ledger's own log."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from onestep_runtime.lifecycle import background_loops
from onestep_runtime.ops import ops_router
from onestep_runtime.portal_auth import portal_authenticator
from onestep_runtime.problems import install_problem_handlers

from ..bootstrap import bootstrap
from ..settings import LedgerSettings
from .routes import cases


def create_app(settings: LedgerSettings | None = None, **parts: Any) -> FastAPI:
    """`parts` go to bootstrap (e.g. a test's eventsourcing `env`)."""
    settings = settings or LedgerSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ledger = bootstrap(settings, **parts)  # Kafka clients need the running loop
        app.state.ledger = ledger
        loops = {
            "consumer": (ledger.consumer.run, ledger.consumer.stop),
            "relay": (ledger.relay.run, ledger.relay.stop),
        }
        async with background_loops(ledger.producer, loops):
            yield
        ledger.app.close()

    app = FastAPI(title="onestep case-ledger", version="1", lifespan=lifespan)
    app.state.authenticate_portal = portal_authenticator(settings.portal_keys)
    install_problem_handlers(app)

    async def kafka_check() -> tuple[bool, str]:
        running = app.state.ledger.consumer.running
        return running, "consuming" if running else "not consuming"

    async def store_check() -> tuple[bool, str]:
        ledger = app.state.ledger
        position = await asyncio.to_thread(ledger.app.recorder.max_tracking_id, ledger.relay.name)
        return True, f"relayed up to notification {position or 0}"

    app.include_router(ops_router({"kafka": kafka_check, "store": store_check}))
    app.include_router(cases.router, prefix="/v1")
    return app

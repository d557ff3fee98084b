"""case-ledger's process: the cases API, the consumer that folds events into cases, and
the relay that publishes case events from the ledger's own log."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from onestep_runtime.lifecycle import background_loops
from onestep_runtime.ops import consumer_check, follower_check, ops_router
from onestep_runtime.portal_auth import portal_authenticator
from onestep_runtime.problems import install_problem_handlers

from ..bootstrap import bootstrap
from ..settings import LedgerSettings
from .routes import cases, stats


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
            "deadlines": (ledger.watcher.run, ledger.watcher.stop),
            "stats": (ledger.stats_follower.run, ledger.stats_follower.stop),
        }
        async with background_loops(ledger.producer, loops):
            yield
        ledger.app.close()

    app = FastAPI(title="onestep case-ledger", version="1", lifespan=lifespan)
    app.state.authenticate_portal = portal_authenticator(settings.portal_keys)
    install_problem_handlers(app)

    async def deadlines_check() -> tuple[bool, str]:
        swept_to, lag_s = await app.state.ledger.watcher.position()
        return True, f"timers fired up to {swept_to.isoformat()} ({lag_s:.0f}s behind the clock)"

    checks = {
        "kafka": consumer_check(lambda: app.state.ledger.consumer),
        "store": follower_check(lambda: app.state.ledger.relay),
        "statistics": follower_check(lambda: app.state.ledger.stats_follower),
        "deadlines": deadlines_check,
    }
    app.include_router(ops_router(checks))
    app.include_router(cases.router, prefix="/v1")
    app.include_router(stats.router, prefix="/v1")
    return app

"""notify's process: the consumer of case events, the webhook dispatcher, and its API."""

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
from ..settings import NotifySettings
from .routes import notifications


def create_app(settings: NotifySettings | None = None, **parts: Any) -> FastAPI:
    """`parts` go to bootstrap (e.g. a test's eventsourcing `env`)."""
    settings = settings or NotifySettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        notify = bootstrap(settings, **parts)  # Kafka clients need the running loop
        app.state.notify = notify
        loops = {
            "consumer": (notify.consumer.run, notify.consumer.stop),
            "dispatcher": (notify.dispatcher.run, notify.dispatcher.stop),
        }
        async with background_loops(notify.producer, loops):
            yield
        await notify.http.aclose()
        notify.app.close()

    app = FastAPI(title="onestep notify", version="1", lifespan=lifespan)
    app.state.authenticate_portal = portal_authenticator(settings.portal_keys)
    install_problem_handlers(app)

    async def kafka_check() -> tuple[bool, str]:
        running = app.state.notify.consumer.running
        return running, "consuming" if running else "not consuming"

    async def store_check() -> tuple[bool, str]:
        notify = app.state.notify
        position = await asyncio.to_thread(notify.app.recorder.max_tracking_id, notify.dispatcher.name)
        return True, f"dispatched up to notification {position or 0}"

    app.include_router(ops_router({"kafka": kafka_check, "store": store_check}))
    app.include_router(notifications.router, prefix="/v1")
    return app

"""notify's process: the consumer of case events, the webhook dispatcher, and its API."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from onestep_runtime.lifecycle import background_loops
from onestep_runtime.ops import consumer_check, follower_check, ops_router
from onestep_runtime.portal_auth import portal_authenticator
from onestep_runtime.problems import install_problem_handlers
from onestep_runtime.request_body import BodyLimit

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
            "parked": (notify.parked_follower.run, notify.parked_follower.stop),
            "redelivery": (notify.redelivery.run, notify.redelivery.stop),
        }
        async with background_loops(notify.producer, loops):
            yield
        await notify.http.aclose()
        notify.app.close()

    app = FastAPI(title="onestep notify", version="1", lifespan=lifespan)
    app.state.authenticate_portal = portal_authenticator(settings.portal_keys)
    install_problem_handlers(app)

    checks = {
        "kafka": consumer_check(lambda: app.state.notify.consumer),
        "store": follower_check(lambda: app.state.notify.dispatcher),
    }
    app.include_router(ops_router(checks))
    app.include_router(notifications.router, prefix="/v1")
    app.add_middleware(BodyLimit, limit=notifications.BODY_BYTES)
    return app

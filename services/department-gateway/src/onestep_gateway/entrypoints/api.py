"""department-gateway's process: the consumer that records its department's tasks, the
dispatcher that hands them to the adapter, the relay that publishes decisions, ops endpoints."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from onestep_runtime.lifecycle import background_loops
from onestep_runtime.ops import consumer_check, follower_check, ops_router
from onestep_runtime.portal_auth import key_authenticator
from onestep_runtime.problems import install_problem_handlers
from onestep_runtime.request_body import BodyLimit

from ..bootstrap import bootstrap, dispatch_backlog
from ..settings import GatewaySettings
from .routes import callbacks, desk, parked

BODY_BYTES = 64 * 1024  # every body a gateway takes is small: a decision (an officer's or a callback), a claim


def create_app(settings: GatewaySettings | None = None, **parts: Any) -> FastAPI:
    """`parts` go to bootstrap (e.g. a test's eventsourcing `env` or adapter)."""
    settings = settings or GatewaySettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway = bootstrap(settings, **parts)  # Kafka clients need the running loop
        app.state.gateway = gateway
        loops = {
            "consumer": (gateway.consumer.run, gateway.consumer.stop),
            "dispatch": (gateway.dispatch.run, gateway.dispatch.stop),
            "relay": (gateway.relay.run, gateway.relay.stop),
            "desk": (gateway.desk_follower.run, gateway.desk_follower.stop),
        }
        if gateway.poller is not None:
            loops["poller"] = (gateway.poller.run, gateway.poller.stop)
        async with background_loops(gateway.producer, loops):
            yield
        gateway.app.close()

    app = FastAPI(title=f"onestep department-gateway ({settings.department})", version="1", lifespan=lifespan)
    app.state.authenticate_officer = key_authenticator(settings.officer_keys, holder="officer")
    install_problem_handlers(app)

    async def adapter_check() -> tuple[bool, str]:
        """Ready whatever the department's system does; the detail tells how many recorded
        events the adapter has not taken yet (tasks waiting while it is down)."""
        gateway = app.state.gateway
        behind = await asyncio.to_thread(dispatch_backlog, gateway.app)
        parked = await asyncio.to_thread(gateway.desk.count, "parked")
        return True, f"adapter {gateway.adapter.name}; {behind} recorded events not yet handed to it; {parked} parked"

    checks = {
        "kafka": consumer_check(lambda: app.state.gateway.consumer),
        "store": follower_check(lambda: app.state.gateway.relay),
        "adapter": adapter_check,
    }
    app.include_router(ops_router(checks))
    app.include_router(parked.router, prefix="/v1")  # before the desk's /tasks/{task_id} routes
    app.include_router(desk.router, prefix="/v1")
    app.include_router(callbacks.router, prefix="/v1")
    app.add_middleware(BodyLimit, limit=BODY_BYTES)
    return app

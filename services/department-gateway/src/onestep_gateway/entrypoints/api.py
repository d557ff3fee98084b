"""department-gateway's process: the consumer of its department's tasks, and ops endpoints."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from onestep_runtime.lifecycle import background_loops
from onestep_runtime.ops import consumer_check, ops_router
from onestep_runtime.problems import install_problem_handlers

from ..bootstrap import bootstrap
from ..settings import GatewaySettings


def create_app(settings: GatewaySettings | None = None, **parts: Any) -> FastAPI:
    settings = settings or GatewaySettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway = bootstrap(settings, **parts)  # Kafka clients need the running loop
        app.state.gateway = gateway
        async with background_loops(gateway.producer, {"consumer": (gateway.consumer.run, gateway.consumer.stop)}):
            yield

    app = FastAPI(title=f"onestep department-gateway ({settings.department})", version="1", lifespan=lifespan)
    install_problem_handlers(app)

    async def adapter_check() -> tuple[bool, str]:
        return True, f"adapter {app.state.gateway.gateway.adapter.name}"

    app.include_router(
        ops_router({"kafka": consumer_check(lambda: app.state.gateway.consumer), "adapter": adapter_check})
    )
    return app

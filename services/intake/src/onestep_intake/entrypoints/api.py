"""intake's HTTP API: the catalogue, material uploads and applications, for portals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from onestep_runtime.direct_route import DirectRoute
from onestep_runtime.kafka import start_with_retry
from onestep_runtime.ops import ops_router
from onestep_runtime.portal_auth import portal_authenticator
from onestep_runtime.problems import install_problem_handlers
from onestep_runtime.request_body import BodyLimit

from ..bootstrap import bootstrap
from ..settings import IntakeSettings
from .openapi import register_request_components
from .routes import applications, case_requests, items, materials

log = logging.getLogger("onestep.intake")
API_PREFIX = "/v1"
MULTIPART_ALLOWANCE = 64 * 1024  # a material upload's part headers and boundaries, beyond the file


def create_app(settings: IntakeSettings | None = None, **parts: Any) -> FastAPI:
    """`parts` go to bootstrap (e.g. a test's own producer)."""
    settings = settings or IntakeSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        intake = bootstrap(settings, **parts)  # Kafka clients need the running loop
        app.state.intake = intake
        # Kafka may be down when intake starts: serve anyway (503 on submit) and keep trying.
        starting = asyncio.create_task(start_with_retry(intake.producer, name="intake producer", log=log))
        try:
            yield
        finally:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            await intake.producer.stop()

    app = FastAPI(
        title="onestep intake",
        version="1",
        summary="One application, one set of materials, many departments: the door for portals.",
        lifespan=lifespan,
    )
    app.state.authenticate_portal = portal_authenticator(settings.portal_keys)
    install_problem_handlers(app)

    async def kafka_check() -> tuple[bool, str]:
        return await app.state.intake.publisher.reachable()

    async def store_check() -> tuple[bool, str]:
        ok = await asyncio.to_thread(app.state.intake.blobs.writable)
        return ok, f"material store at {settings.materials_dir}"

    # Routes are matched in order: applications, nearly every request, first. A submission is
    # answered by its endpoint directly, without the framework's per-request layers (DirectRoute).
    app.include_router(applications.router, prefix=API_PREFIX)
    app.add_middleware(
        DirectRoute,
        method="POST",
        path=API_PREFIX + applications.SUBMIT_PATH,
        endpoint=applications.submit_application,
    )
    app.include_router(case_requests.router, prefix=API_PREFIX)
    app.include_router(items.router, prefix=API_PREFIX)
    app.include_router(materials.router, prefix=API_PREFIX)
    app.include_router(ops_router({"kafka": kafka_check, "material_store": store_check}))
    register_request_components(app)
    # A material's multipart upload is read by the framework: held to its limit as it arrives,
    # not spooled to disk whole first. JSON bodies are held to their own, tighter one (json_body).
    body_bytes = max(settings.max_material_bytes + MULTIPART_ALLOWANCE, settings.max_json_bytes)
    app.add_middleware(
        BodyLimit,
        limit=body_bytes,
        hint=f"A material file is at most {settings.max_material_bytes} bytes, sent alone as multipart/form-data.",
    )
    return app

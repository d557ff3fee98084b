"""The operational endpoints every service answers: /healthz, /readyz, /metrics."""

from __future__ import annotations

import math
import os
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from .logs import MULTIPROC_DIR

# Each check answers (ok, detail): e.g. ("kafka", lambda: (consumer.running, "consuming")).
ReadinessCheck = Callable[[], Awaitable[tuple[bool, str]]]


def ops_router(checks: dict[str, ReadinessCheck]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Kafka and the store are reachable")
    async def readyz() -> JSONResponse:
        results = {}
        for name, check in checks.items():
            try:
                ok, detail = await check()
            except Exception as exc:  # a check that fails to run is a failed check
                ok, detail = False, repr(exc)
            results[name] = {"ok": ok, "detail": detail}
        ready = all(result["ok"] for result in results.values())
        return JSONResponse({"ready": ready, "checks": results}, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(_exposition(), media_type=CONTENT_TYPE_LATEST)

    return router


def _exposition() -> bytes:
    """This process's metrics; those of every worker when the service runs several (see
    `logs.serve_workers`)."""
    if not os.environ.get(MULTIPROC_DIR):
        return generate_latest()
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry)


def consumer_check(consumer: Callable[[], Any]) -> ReadinessCheck:
    """Ready while the service's Kafka consume loop runs (it retries until the broker answers)."""

    async def check() -> tuple[bool, str]:
        running = consumer().running
        return running, "consuming" if running else "not consuming: Kafka unreachable or starting"

    return check


def follower_check(follower: Callable[[], Any]) -> ReadinessCheck:
    """Ready while the store answers: reads the follower's stored position from it, and says
    whether this instance follows or stands by for another (see leases)."""

    async def check() -> tuple[bool, str]:
        position = await follower().stored_position()
        role = "following" if follower().leading else "standing by for another instance"
        return True, f"{follower().name} at notification {position}, {role}"

    return check


def store_reading(count: Callable[[], int]) -> Callable[[], float]:
    """A gauge's reading of a count the store keeps (`Gauge.set_function`), taken when /metrics
    is scraped: NaN while the store is down (/readyz says so)."""

    def value() -> float:
        try:
            return float(count())
        except Exception:
            return math.nan

    return value

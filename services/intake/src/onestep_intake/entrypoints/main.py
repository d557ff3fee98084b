"""Runs intake: `onestep-intake` (host and port from INTAKE_HOST / INTAKE_PORT, and as many
processes as INTAKE_WORKERS)."""

from fastapi import FastAPI

from onestep_runtime import heap
from onestep_runtime.cpu_priority import yield_cpu
from onestep_runtime.logs import configure_logging, serve, serve_workers

from ..settings import IntakeSettings
from .api import create_app


def main() -> None:
    configure_logging()
    settings = IntakeSettings()
    yield_cpu(settings.cpu_nice)  # before the workers and threads, which inherit it
    if settings.workers == 1:
        serve(create_app(settings), host=settings.host, port=settings.port)
    else:
        serve_workers(
            "onestep_intake.entrypoints.main:worker_app",
            workers=settings.workers,
            host=settings.host,
            port=settings.port,
        )


def worker_app() -> FastAPI:
    """One worker's app, built in the worker's own process."""
    configure_logging()
    app = create_app(IntakeSettings())
    heap.settle()
    return app


if __name__ == "__main__":
    main()

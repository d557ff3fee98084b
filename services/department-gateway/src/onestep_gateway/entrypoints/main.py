"""Runs a department gateway: `onestep-department-gateway` (GATEWAY_DEPARTMENT names the department)."""

from onestep_runtime.cpu_priority import yield_cpu
from onestep_runtime.logs import configure_logging, serve

from ..settings import GatewaySettings
from .api import create_app


def main() -> None:
    configure_logging()
    settings = GatewaySettings()
    yield_cpu(settings.cpu_nice)  # before the threads, which inherit it
    serve(create_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()

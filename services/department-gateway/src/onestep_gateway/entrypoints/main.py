"""Runs a department gateway: `onestep-department-gateway` (GATEWAY_DEPARTMENT names the department)."""

import uvicorn

from onestep_runtime.logs import configure_logging

from ..settings import GatewaySettings
from .api import create_app


def main() -> None:
    configure_logging()
    settings = GatewaySettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()

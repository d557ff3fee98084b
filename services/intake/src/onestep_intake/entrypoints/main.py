"""Runs intake: `onestep-intake` (host and port from INTAKE_HOST / INTAKE_PORT)."""

import uvicorn

from onestep_runtime.logs import configure_logging

from ..settings import IntakeSettings
from .api import create_app


def main() -> None:
    configure_logging()
    settings = IntakeSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()

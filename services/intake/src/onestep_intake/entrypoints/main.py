"""Runs intake: `onestep-intake` (host and port from INTAKE_HOST / INTAKE_PORT)."""

import uvicorn

from ..settings import IntakeSettings
from .api import create_app


def main() -> None:
    settings = IntakeSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()

"""Runs intake: `onestep-intake` (host and port from INTAKE_HOST / INTAKE_PORT)."""

from onestep_runtime.logs import configure_logging, serve

from ..settings import IntakeSettings
from .api import create_app


def main() -> None:
    configure_logging()
    settings = IntakeSettings()
    serve(create_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()

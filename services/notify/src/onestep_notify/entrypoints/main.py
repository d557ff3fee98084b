"""Runs notify: `onestep-notify` (host and port from NOTIFY_HOST / NOTIFY_PORT)."""

import uvicorn

from onestep_runtime.logs import configure_logging

from ..settings import NotifySettings
from .api import create_app


def main() -> None:
    configure_logging()
    settings = NotifySettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()

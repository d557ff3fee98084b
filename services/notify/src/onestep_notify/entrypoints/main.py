"""Runs notify: `onestep-notify` (host and port from NOTIFY_HOST / NOTIFY_PORT)."""

from onestep_runtime.cpu_priority import yield_cpu
from onestep_runtime.logs import configure_logging, serve

from ..settings import NotifySettings
from .api import create_app


def main() -> None:
    configure_logging()
    settings = NotifySettings()
    yield_cpu(settings.cpu_nice)  # before the threads, which inherit it
    serve(create_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()

"""Runs case-ledger: `onestep-case-ledger` (host and port from LEDGER_HOST / LEDGER_PORT)."""

from onestep_runtime.cpu_priority import yield_cpu
from onestep_runtime.logs import configure_logging, serve

from ..settings import LedgerSettings
from .api import create_app


def main() -> None:
    configure_logging()
    settings = LedgerSettings()
    yield_cpu(settings.cpu_nice)  # before the threads, which inherit it
    serve(create_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()

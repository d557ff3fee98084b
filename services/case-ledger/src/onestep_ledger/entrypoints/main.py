"""Runs case-ledger: `onestep-case-ledger` (host and port from LEDGER_HOST / LEDGER_PORT)."""

import uvicorn

from onestep_runtime.logs import configure_logging

from ..settings import LedgerSettings
from .api import create_app


def main() -> None:
    configure_logging()
    settings = LedgerSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()

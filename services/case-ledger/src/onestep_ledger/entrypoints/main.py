"""Runs case-ledger: `onestep-case-ledger` (host and port from LEDGER_HOST / LEDGER_PORT)."""

import uvicorn

from ..settings import LedgerSettings
from .api import create_app


def main() -> None:
    settings = LedgerSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()

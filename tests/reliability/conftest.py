"""The reliability tests run the whole system as real processes, like the e2e tests, and
break it: kills, restarts, a broker outage, failing department systems, bad messages. The
ledger and the gateways keep their records on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from ..e2e.conftest import portal, webhook  # noqa: F401 (fixtures)
from ..e2e.system import System

ON_POSTGRES = ("ledger", "market-regulation", "fire-rescue", "urban-management")


@pytest.fixture
def system(kafka, postgres, tmp_path, webhook):  # noqa: F811 (the webhook fixture)
    """The system of the e2e tests (intake, ledger, notify, three rules gateways), with the
    ledger's and the gateways' records on PostgreSQL."""
    running = System(kafka, tmp_path / "system", webhook_url=webhook.url, run_id=uuid.uuid4().hex[:8])
    running.on_postgres(postgres, *ON_POSTGRES)
    try:
        yield running.start()
    finally:
        running.stop()

"""The reliability tests run the whole system as real processes, like the e2e tests, and
break it: kills, restarts, a broker outage, failing department systems, bad messages. The
ledger and the gateways keep their records on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from onestep_local.stack import System

from ..conftest import running_broker
from ..e2e.conftest import portal, webhook  # noqa: F401 (fixtures)

ON_POSTGRES = ("ledger", "market-regulation", "fire-rescue", "urban-management")


@pytest.fixture
def kafka(tmp_path_factory):
    """A broker of the test's own: its topics hold only this test's records, so the services
    do not first read every earlier test's history, and the broker can be stopped."""
    with running_broker(tmp_path_factory.mktemp("kafka")) as broker:
        yield broker


@pytest.fixture
def system(kafka, postgres, tmp_path, webhook, request):  # noqa: F811 (the webhook fixture)
    """The system of the e2e tests (intake, ledger, notify, three rules gateways), with the
    ledger's and the gateways' records on PostgreSQL and intake in two worker processes; a test
    marked `own_system(...)` has that department review in the reference department system
    (`system["department-system"]`)."""
    running = System(kafka, tmp_path / "system", webhook_url=webhook.url, run_id=uuid.uuid4().hex[:8], intake_workers=2)
    running.on_postgres(postgres, *ON_POSTGRES)
    if own_system := request.node.get_closest_marker("own_system"):
        running.through_own_system(*own_system.args, **own_system.kwargs)
    try:
        yield running.start()
    finally:
        running.stop()

"""A stream of applications while, in turn, intake, a department's gateway, the ledger and
notify are killed with SIGKILL (a crash: nothing is drained or committed) and started again.
The ledger and the gateways keep their records on PostgreSQL. Afterwards the checker shows
that nothing was lost and nothing happened twice."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from onestep_local.stack import PORTAL_KEY

from ..e2e.conftest import upload_restaurant_materials
from ..e2e.waiting import eventually
from .checker import once_settled
from .load import Stream, restaurants

APPLICATIONS = 2000
VICTIMS = ("intake", "market-regulation", "ledger", "notify")


@pytest.mark.timeout(900)
def test_a_stream_survives_each_service_killed_in_turn(system, kafka, webhook, capsys):
    marker = f"crash-{uuid.uuid4().hex[:8]}"
    with httpx.Client(headers={"Authorization": f"Bearer {PORTAL_KEY}"}, timeout=15) as portal:
        upload_restaurant_materials(portal, system["intake"].url)
    stream = Stream(system["intake"].url, restaurants(marker), count=APPLICATIONS).start()

    for turn, victim in enumerate(VICTIMS, start=1):
        eventually(lambda t=turn: stream.filed >= t * APPLICATIONS // (len(VICTIMS) + 1), timeout_s=600, interval_s=0.5)
        system[victim].kill()
        time.sleep(1)
        system[victim].start()
        system[victim].wait_ready(timeout_s=120)
    stream.join()

    findings = once_settled(system, kafka, stream, marker=marker, webhook=webhook)
    with capsys.disabled():  # the counts belong in the test log
        print("\n" + findings.report(f"{APPLICATIONS} applications, {', '.join(VICTIMS)} killed in turn"))
    assert stream.unaccepted == []
    assert findings.counts["cases on the applications topic"] == APPLICATIONS
    assert findings.counts.get("cases approved", 0) + findings.counts.get("cases rejected", 0) == APPLICATIONS

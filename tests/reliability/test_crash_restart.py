"""A stream of applications while, in turn, intake, a department's gateway, the ledger and
notify are killed with SIGKILL (a crash: nothing is drained or committed) and started again.
The ledger and the gateways keep their records on PostgreSQL. Afterwards the checker shows
that nothing was lost and nothing happened twice."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from ..e2e.conftest import upload_restaurant_materials
from ..e2e.system import PORTAL_KEY, System
from ..e2e.waiting import eventually
from ..scenarios import restaurant_application
from .checker import check
from .load import Stream

APPLICATIONS = 2000
VICTIMS = ("intake", "market-regulation", "ledger", "notify")
FINAL = {"approved", "rejected"}


@pytest.fixture
def system_on_postgres(kafka, postgres, tmp_path, webhook):
    running = System(kafka, tmp_path / "system", webhook_url=webhook.url, run_id=uuid.uuid4().hex[:8])
    running.on_postgres(postgres, "ledger", "market-regulation", "fire-rescue", "urban-management")
    try:
        yield running.start()
    finally:
        running.stop()


def restaurants(marker: str):
    """Restaurants of every shape: some need fire rescue or a sign permit, and one in ten is a
    tiny raw-seafood kitchen that market regulation rejects."""

    def body(number: int) -> dict:
        application = restaurant_application(seats=20 + number % 90, sign=number % 4 == 0)
        application["form"]["business_name"] = f"{marker} #{number}"
        if number % 10 == 7:
            application["form"].update(food_categories=["raw_seafood"], floor_area_m2=20.0)
        return application

    return body


def all_final(system: System, case_ids: list[str]) -> bool:
    def status(client: httpx.Client, case_id: str) -> str | None:
        answer = client.get(f"{system['ledger'].url}/v1/cases/{case_id}")
        return answer.json()["status"] if answer.status_code == 200 else None

    with (
        httpx.Client(headers={"Authorization": f"Bearer {PORTAL_KEY}"}, timeout=30) as client,
        ThreadPoolExecutor(8) as pool,
    ):
        return all(state in FINAL for state in pool.map(lambda c: status(client, c), case_ids))


def test_a_stream_survives_each_service_killed_in_turn(system_on_postgres, kafka, webhook, capsys):
    system, marker = system_on_postgres, f"crash-{uuid.uuid4().hex[:8]}"
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

    case_ids = sorted(set(stream.accepted.values()))
    eventually(lambda: all_final(system, case_ids), timeout_s=600, interval_s=5)
    findings = eventually(
        lambda: (f := check(system, kafka, stream.accepted, marker=marker, webhook=webhook)) and not f.problems and f,
        timeout_s=180,
        interval_s=10,
    )
    findings.counts["503 answers retried by portals"] = stream.refused_503
    findings.counts["dropped connections retried by portals"] = stream.connection_errors
    with capsys.disabled():  # the counts belong in the test log
        print("\n" + findings.report(f"{APPLICATIONS} applications, {', '.join(VICTIMS)} killed in turn"))
    assert stream.unaccepted == []
    assert findings.counts["cases on the applications topic"] == APPLICATIONS
    assert findings.counts.get("cases approved", 0) + findings.counts.get("cases rejected", 0) == APPLICATIONS

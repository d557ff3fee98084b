"""A gateway using the `http` adapter killed with SIGKILL while tasks are in flight at its
department's own system: some being handed over, some under review there. It stays away
longer than the department keeps retrying its callbacks, so some decisions lose their
callback. Started again, the gateway hands over again what it had not recorded as handed
over (the department keeps one task per key and answers a decided one with its decision),
and finds the decisions whose callbacks were lost by asking the department's status URL.
Every task is decided once and every case ends as its decisions say."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from ..e2e.waiting import eventually
from .checker import check_own_system, once_settled
from .load import Stream, restaurants

APPLICATIONS = 400
AWAY_S = 8.0  # longer than the reference department system retries a callback (about 4 s)


@pytest.mark.timeout(900)
@pytest.mark.own_system("fire-rescue", "reliability-fire-rescue-secret", timeout_s="5")
def test_a_gateway_killed_with_tasks_in_flight_at_its_department(system, portal, kafka, webhook, capsys):
    department = system["department-system"].url

    def control(**change) -> dict:
        return httpx.post(f"{department}/control", json=change).json()

    control(delay_s=3.0, stall_s=0.3)  # hand-overs take 0.3 s and reviews 3 s: always some in flight
    marker = f"inflight-{uuid.uuid4().hex[:8]}"
    stream = Stream(system["intake"].url, restaurants(marker), count=APPLICATIONS).start()
    eventually(lambda: stream.filed >= APPLICATIONS // 3, timeout_s=300, interval_s=0.5)
    reviewing = eventually(lambda: (n := control()["by_status"]["reviewing"]) >= 5 and n, timeout_s=120)
    gateway = system["fire-rescue"]
    gateway.kill()
    time.sleep(AWAY_S)
    gateway.start()
    gateway.wait_ready(timeout_s=120)
    control(delay_s=0.5, stall_s=0.0)
    stream.join()

    findings = once_settled(system, kafka, stream, marker=marker, webhook=webhook)
    findings.counts["under review there when the gateway was killed"] = reviewing
    check_own_system(system, findings, sorted(set(stream.accepted.values())), "fire-rescue")
    with capsys.disabled():
        print("\n" + findings.report(f"{APPLICATIONS} applications, fire rescue's gateway killed mid-review"))
    assert stream.unaccepted == []
    assert findings.counts["callbacks it gave up on (found by polling)"] > 0, "the gateway was not away long enough"
    assert findings.problems == []

"""A department's own system failing for a while, then recovering, while applications
stream in: first it answers 503, then it answers too slowly (the gateway's requests time
out). Its tasks wait recorded and reach it once it is back, each as one task however often
it was delivered, and every case ends as its decisions say."""

from __future__ import annotations

import uuid

import httpx
import pytest

from ..e2e.waiting import eventually
from .checker import check_own_system, once_settled
from .load import Stream, restaurants

APPLICATIONS = 400


@pytest.mark.timeout(900)
@pytest.mark.own_system("fire-rescue", "reliability-fire-rescue-secret", timeout_s="1", attempts="2")
def test_a_department_system_failing_for_a_while_then_recovering(system, portal, kafka, webhook, capsys):
    department = system["department-system"].url

    def control(**change) -> dict:
        return httpx.post(f"{department}/control", json=change).json()

    marker = f"dept-{uuid.uuid4().hex[:8]}"
    stream = Stream(system["intake"].url, restaurants(marker), count=APPLICATIONS).start()
    eventually(lambda: stream.filed >= APPLICATIONS // 4, timeout_s=300, interval_s=0.5)
    control(down=True)  # 503 to every task
    eventually(lambda: control()["refused_while_down"] >= 20, timeout_s=120)
    control(down=False, stall_s=3.0)  # answers after 3 s; the gateway waits 1 s
    eventually(lambda: stream.filed >= APPLICATIONS * 3 // 4, timeout_s=300, interval_s=0.5)
    control(stall_s=0.0)
    stream.join()

    findings = once_settled(system, kafka, stream, marker=marker, webhook=webhook)
    check_own_system(system, findings, sorted(set(stream.accepted.values())), "fire-rescue")
    with capsys.disabled():
        print("\n" + findings.report(f"{APPLICATIONS} applications, fire rescue's own system down, then slow"))
    assert stream.unaccepted == []
    assert findings.counts["fire-rescue tasks"] > 0
    assert findings.counts["deliveries refused while down (503)"] > 0
    assert findings.problems == []

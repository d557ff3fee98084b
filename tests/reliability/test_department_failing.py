"""A department's own system failing for a while, then recovering, while applications
stream in: first it answers 503, then it answers too slowly (the gateway's requests time
out). Its tasks wait recorded and reach it once it is back, each as one task however often
it was delivered, and every case ends as its decisions say."""

from __future__ import annotations

import uuid

import httpx
import pytest

from onestep_contracts import task_id_for

from ..e2e.system import PORTAL_KEY, System
from ..e2e.waiting import eventually
from .checker import once_settled
from .load import Stream, restaurants

APPLICATIONS = 400


def needs_fire_rescue(system: System, case_id: str) -> bool:
    case = httpx.get(f"{system['ledger'].url}/v1/cases/{case_id}", headers={"Authorization": f"Bearer {PORTAL_KEY}"})
    return any(part["department"] == "fire-rescue" for part in case.json()["departments"])


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
    case_ids = sorted(set(stream.accepted.values()))
    fire_tasks = [task_id_for(case_id, "fire-rescue") for case_id in case_ids if needs_fire_rescue(system, case_id)]
    held = [httpx.get(f"{department}/tasks/{task_id}").json() for task_id in fire_tasks]
    findings.counts["fire-rescue tasks"] = len(fire_tasks)
    findings.counts["decided in the department's system"] = sum(task.get("status") == "decided" for task in held)
    findings.counts["cancelled there (the case was rejected)"] = sum(task.get("status") == "cancelled" for task in held)
    findings.counts["deliveries to it (a repeat keeps its key)"] = sum(task.get("deliveries", 0) for task in held)
    findings.counts["deliveries refused while down (503)"] = control()["refused_while_down"]
    with capsys.disabled():
        print("\n" + findings.report(f"{APPLICATIONS} applications, fire rescue's own system down, then slow"))
    assert stream.unaccepted == []
    assert len(fire_tasks) > 0
    assert [task["task_id"] for task in held if task.get("status") not in ("decided", "cancelled")] == []

"""The ledger killed mid-stream (SIGKILL) and started again: nothing lost, nothing twice."""

from __future__ import annotations

import concurrent.futures

from ..scenarios import new_key, restaurant_application
from .waiting import eventually

APPLICATIONS = 60


def test_a_ledger_killed_mid_stream_resumes_from_its_stored_position(system, portal):
    intake = system["intake"].url
    ledger = system["ledger"]

    def file(index: int) -> str:
        body = restaurant_application(seats=30 + index, sign=index % 2 == 0)
        response = portal.post(f"{intake}/v1/applications", json=body, headers={"Idempotency-Key": new_key()})
        assert response.status_code == 202, response.text
        return response.json()["case_id"]

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        first = list(pool.map(file, range(APPLICATIONS // 2)))
        # Kill once the ledger has applied some cases but, most likely, not all of them.
        eventually(
            lambda: portal.get(f"{ledger.url}/v1/cases/{first[0]}").status_code == 200, timeout_s=60, interval_s=0.05
        )
        ledger.kill()
        second = list(pool.map(file, range(APPLICATIONS // 2, APPLICATIONS)))
    ledger.start()
    ledger.wait_ready()

    case_ids = first + second
    assert len(set(case_ids)) == APPLICATIONS

    def all_approved():
        states = [portal.get(f"{ledger.url}/v1/cases/{case_id}") for case_id in case_ids]
        return states if all(s.status_code == 200 and s.json()["status"] == "approved" for s in states) else None

    states = eventually(all_approved, timeout_s=120, interval_s=1)
    for state in states:
        case = state.json()
        timeline = portal.get(f"{ledger.url}/v1/cases/{case['case_id']}/timeline").json()["events"]
        names = [event["event"] for event in timeline]
        departments = len(case["departments"])
        # After a restart a decision may be read before its application (two topics) and
        # be held until it comes; either way each fact is applied exactly once.
        assert names.count("Opened") + names.count("ApplicationArrived") == 1, names
        assert names.count("DepartmentDecided") == departments, names
        assert names.count("Approved") == 1 and names[-1] == "Approved", names
        assert "DecisionRefused" not in names, names

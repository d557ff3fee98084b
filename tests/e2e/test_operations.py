"""What an on-call engineer relies on: ops endpoints everywhere, no personal data in logs."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from ..scenarios import new_key, restaurant_application
from .waiting import eventually


def test_every_service_answers_health_readiness_metrics_and_openapi(system):
    for name, service in system.services.items():
        for path in ("/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"):
            response = httpx.get(f"{service.url}{path}", timeout=5)
            assert response.status_code == 200, f"{name}{path}: {response.status_code}"
        assert "onestep_" in httpx.get(f"{service.url}/metrics").text, name


# How far each service yields the CPU by default (onestep_runtime.cpu_priority): the ledger, a
# case's first and last step, goes first; intake, whose burst can wait in Kafka, last.
YIELDS = {"ledger": 0, "notify": 5, "intake": 10}
GATEWAY_YIELDS = 5


def test_each_service_yields_the_cpu_by_its_place_on_a_cases_way(system):
    own = os.getpriority(os.PRIO_PROCESS, 0)
    for name, service in system.services.items():
        pid = service.process.pid
        expected = YIELDS.get(name, GATEWAY_YIELDS)
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(own + expected, 19), name
        autogroup = Path(f"/proc/{pid}/autogroup")
        if autogroup.exists():  # a kernel built without autogroups has none to weigh
            assert autogroup.read_text().split()[-1] == str(expected), name


def test_no_service_logs_an_applicant_id_number_or_phone_in_clear(system, portal):
    body = restaurant_application(seats=80, sign=True)
    body["form"]["seats"] = "not a number"  # a refused request is logged too
    assert (
        portal.post(
            f"{system['intake'].url}/v1/applications", json=body, headers={"Idempotency-Key": new_key()}
        ).status_code
        == 422
    )
    accepted = portal.post(
        f"{system['intake'].url}/v1/applications",
        json=restaurant_application(seats=80, sign=True),
        headers={"Idempotency-Key": new_key()},
    ).json()
    eventually(
        lambda: portal.get(f"{system['ledger'].url}/v1/cases/{accepted['case_id']}").json().get("status") == "approved"
    )
    applicant = body["applicant"]
    for service in system.services.values():
        log = service.log_path.read_text(errors="replace")
        assert applicant["id_number"] not in log, service.name
        assert applicant["phone"] not in log, service.name
    # At rest too: the stores encrypt stored events with CIPHER_KEY.
    for store in sorted(system.home.glob("*.sqlite*")):
        content = store.read_bytes()
        assert applicant["id_number"].encode() not in content, store.name
        assert applicant["name"].encode() not in content, store.name

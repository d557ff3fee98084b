"""Three kinds of department on the whole system, every part a real process: market regulation
decides by rules, fire rescue in its own system (the reference department system, over signed
HTTP, deciding after a delay and calling back), urban management at the review desk, where an
officer decides. A withdrawal reaches the department's system and the desk; a case in a region
no urban-management gateway serves is reported unroutable; a department system that is down
for a while gets each task once when it is back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest

from onestep_contracts import task_id_for
from onestep_local.stack import System

from ..scenarios import new_key, restaurant_application
from .waiting import eventually

DEPARTMENT_SECRET = "e2e-fire-rescue-shared-secret"
OFFICER = {"Authorization": "Bearer e2e-officer-li-key"}
DESK_REGIONS = ["4301"]  # Changsha; no urban-management gateway serves Xiangtan (4302)


@pytest.fixture
def system(kafka, tmp_path, webhook) -> Iterator[System]:
    """The restaurant's three system, each plugged in its own way (conftest's `portal` uses it)."""
    running = System(kafka, tmp_path / "system", webhook_url=webhook.url, run_id=uuid.uuid4().hex[:8])
    running.through_own_system("fire-rescue", DEPARTMENT_SECRET, attempts="2")
    running["urban-management"].env.update(
        GATEWAY_ADAPTER="desk",
        GATEWAY_OFFICER_KEYS=json.dumps({"officer-li": OFFICER["Authorization"].removeprefix("Bearer ")}),
        GATEWAY_REGIONS=json.dumps(DESK_REGIONS),
    )
    running["ledger"].env.update(LEDGER_ROUTING_WINDOW="PT1S", LEDGER_SWEEP_INTERVAL_S="0.5")
    try:
        yield running.start()
    finally:
        running.stop()


def file(portal, system: System, **changes) -> str:
    response = portal.post(
        f"{system['intake'].url}/v1/applications",
        json=restaurant_application(seats=80, sign=True, **changes),
        headers={"Idempotency-Key": new_key()},
    )
    assert response.status_code == 202, response.text
    assert [step["department"] for step in response.json()["route"]] == [
        "market-regulation",
        "fire-rescue",
        "urban-management",
    ]
    return response.json()["case_id"]


def case(portal, system: System, case_id: str) -> dict:
    response = portal.get(f"{system['ledger'].url}/v1/cases/{case_id}")
    return response.json() if response.status_code == 200 else {}


def on_desk(system: System, case_id: str, status: str = "pending") -> list[dict]:
    listed = httpx.get(f"{system['urban-management'].url}/v1/tasks", params={"status": status}, headers=OFFICER)
    assert listed.status_code == 200, listed.text
    return [task for task in listed.json()["tasks"] if task["case_id"] == case_id]


def at_department(system: System, case_id: str) -> dict:
    """The fire-rescue task as the department's own system holds it."""
    answer = httpx.get(f"{system['department-system'].url}/tasks/{task_id_for(case_id, 'fire-rescue')}")
    return answer.json() if answer.status_code == 200 else {}


def test_rules_a_department_system_and_an_officer_decide_one_restaurant_together(system, portal):
    case_id = file(portal, system)

    (waiting,) = eventually(lambda: on_desk(system, case_id))
    desk = system["urban-management"].url
    claimed = httpx.post(f"{desk}/v1/tasks/{waiting['task_id']}/claim", headers=OFFICER)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["task"]["form"]["has_outdoor_sign"] is True  # the officer reads the application
    decided = httpx.post(
        f"{desk}/v1/tasks/{waiting['task_id']}/decision",
        headers=OFFICER,
        json={
            "outcome": "approved",
            "reason": "sign checked",
            "licences": [{"approval": "outdoor-sign-permit", "number": "URB-2026-0001"}],
        },
    )
    assert decided.status_code == 200, decided.text

    approved = eventually(lambda: (c := case(portal, system, case_id)) and c["status"] == "approved" and c)
    numbers = {licence["approval"]: licence["number"] for licence in approved["licences"]}
    assert numbers["outdoor-sign-permit"] == "URB-2026-0001"
    assert numbers["fire-safety-check"].startswith("REF430102")  # issued by the department's own system
    assert {"business-licence", "food-business-permit"} <= set(numbers)  # by market regulation's rules
    assert all(part["accepted_by"] for part in approved["departments"])
    assert approved["unroutable"] == []
    assert at_department(system, case_id)["status"] == "decided"


def test_withdrawal_an_unserved_region_and_a_department_system_down_for_a_while(system, portal):
    own_system = system["department-system"].url
    httpx.post(f"{own_system}/control", json={"down": True, "delay_s": 600})
    elsewhere = file(portal, system, region="430202")  # Xiangtan: no desk serves it
    withdrawn = file(portal, system)

    eventually(lambda: httpx.get(f"{own_system}/control").json()["refused_while_down"] >= 2)
    assert at_department(system, withdrawn) == {}
    httpx.post(f"{own_system}/control", json={"down": False})
    assert eventually(lambda: at_department(system, withdrawn).get("status")) == "reviewing"
    assert eventually(lambda: at_department(system, elsewhere).get("status")) == "reviewing"
    assert [at_department(system, c)["deliveries"] for c in (withdrawn, elsewhere)] == [1, 1]

    unroutable = eventually(lambda: case(portal, system, elsewhere)["unroutable"], timeout_s=150)
    assert [(part["department"], part["task_id"]) for part in unroutable] == [
        ("urban-management", task_id_for(elsewhere, "urban-management"))
    ]
    assert on_desk(system, elsewhere) == []

    eventually(lambda: on_desk(system, withdrawn))
    answer = portal.post(f"{system['intake'].url}/v1/applications/{withdrawn}/withdraw", json={"reason": "moved"})
    assert answer.status_code == 202, answer.text
    assert eventually(lambda: at_department(system, withdrawn).get("status") == "cancelled")
    assert eventually(lambda: on_desk(system, withdrawn, status="cancelled"))
    assert on_desk(system, withdrawn) == []
    assert case(portal, system, withdrawn)["status"] == "withdrawn"

"""Two journeys end to end on the real broker: a newborn through its chain of departments,
and a restaurant through one supplement round."""

from __future__ import annotations

import hashlib
import json

import httpx

from onestep_local.stack import PORTAL_KEY

from ..scenarios import material_bytes, new_key, restaurant_application
from .waiting import eventually

NEWBORN_MATERIALS = [
    "delivery-record",
    "parents-identity",
    "household-register",
    "marriage-certificate",
    "bank-account",
]


def upload(client: httpx.Client, intake_url: str, code: str) -> dict[str, str]:
    response = client.post(f"{intake_url}/v1/materials", files={"file": (f"{code}.pdf", material_bytes(code))})
    assert response.status_code == 201, response.text
    return {"code": code, "sha256": hashlib.sha256(material_bytes(code)).hexdigest()}


def case_in(client: httpx.Client, ledger_url: str, case_id: str, status: str) -> dict | None:
    response = client.get(f"{ledger_url}/v1/cases/{case_id}")
    return response.json() if response.status_code == 200 and response.json()["status"] == status else None


def timeline(client: httpx.Client, ledger_url: str, case_id: str) -> list[dict]:
    return client.get(f"{ledger_url}/v1/cases/{case_id}/timeline").json()["events"]


def test_a_newborn_is_registered_along_its_dependency_chain_with_licences_passed_on(newborn_system):
    intake, ledger = newborn_system["intake"].url, newborn_system["ledger"].url
    with httpx.Client(headers={"Authorization": f"Bearer {PORTAL_KEY}"}, timeout=15) as portal:
        materials = [upload(portal, intake, code) for code in NEWBORN_MATERIALS]
        body = {
            "item": "newborn",
            "region": "430104",
            "applicant": {"name": "王芳", "id_type": "resident_id", "id_number": "430104199203035678"},
            "form": {
                "child_name": "王小满",
                "birth_date": "2026-11-20",
                "birth_hospital": "湖南省妇幼保健院",
                "household_of": "mother",
                "mother_insured": True,
            },
            "materials": materials,
        }
        response = portal.post(f"{intake}/v1/applications", json=body, headers={"Idempotency-Key": new_key()})
        assert response.status_code == 202, response.text
        case_id = response.json()["case_id"]

        case = eventually(lambda: case_in(portal, ledger, case_id, "approved"))
        assert {part["department"] for part in case["departments"]} == {
            "health",
            "public-security",
            "medical-security",
            "human-resources-social-security",
            "maternity-insurance",
        }
        assert len(case["licences"]) == 5

        events = timeline(portal, ledger, case_id)
        opened = {e["department"]: e for e in events if e["event"] == "TaskOpened"}
        assert set(opened) == {
            "public-security",
            "medical-security",
            "human-resources-social-security",
            "maternity-insurance",
        }
        assert [licence["approval"] for licence in opened["public-security"]["licences"]] == [
            "birth-medical-certificate"
        ]
        assert [licence["approval"] for licence in opened["medical-security"]["licences"]] == ["household-registration"]
        # Household registration opened only after the birth certificate was decided.
        order = [(e["event"], e.get("department")) for e in events]
        assert order.index(("DepartmentDecided", "health")) < order.index(("TaskOpened", "public-security"))


def test_a_large_restaurant_goes_through_one_supplement_round_and_is_approved(system, portal, webhook):
    intake, ledger = system["intake"].url, system["ledger"].url
    body = restaurant_application(seats=30, sign=True)
    body["form"]["floor_area_m2"] = 260  # fire rescue takes part, and asks for the evacuation plan
    response = portal.post(f"{intake}/v1/applications", json=body, headers={"Idempotency-Key": new_key()})
    assert response.status_code == 202, response.text
    case_id = response.json()["case_id"]

    waiting = eventually(lambda: case_in(portal, ledger, case_id, "supplement_required"))
    assert waiting["supplement_notice"] == [
        {
            "department": "fire-rescue",
            "missing": ["evacuation-plan"],
            "reason": "Premises over 200 m² need a fire and evacuation plan.",
        }
    ]
    assert waiting["clock_stopped_at"] is not None

    def notice():
        for request in webhook.received:
            sent = json.loads(request["body"])
            if sent["type"] == "onestep.case.supplement-requested" and sent["subject"] == case_id:
                return sent
        return None

    assert [r["department"] for r in eventually(notice)["data"]["requests"]] == ["fire-rescue"]

    incomplete = portal.post(f"{intake}/v1/applications/{case_id}/supplements", json={"materials": [{"code": "x"}]})
    assert incomplete.status_code == 422
    plan = upload(portal, intake, "evacuation-plan")
    answered = portal.post(f"{intake}/v1/applications/{case_id}/supplements", json={"materials": [plan]})
    assert answered.status_code == 202, answered.text

    case = eventually(lambda: case_in(portal, ledger, case_id, "approved"))
    parts = {part["department"]: part for part in case["departments"]}
    assert parts["fire-rescue"]["round"] == 2
    assert parts["market-regulation"]["round"] == 1  # only the department that asked reviewed again
    events = [e["event"] for e in timeline(portal, ledger, case_id)]
    assert events.count("SupplementRequested") == 1 and events.count("SupplementProvided") == 1

"""Opening a restaurant, end to end: portal → intake → Kafka → gateways → ledger → notify → webhook."""

from __future__ import annotations

import json

from onestep_contracts.signing import SIGNATURE_HEADER, verify
from onestep_local.stack import WEBHOOK_SECRET

from ..scenarios import new_key, restaurant_application
from .waiting import eventually


def case_state(portal, system, case_id: str, status: str):
    response = portal.get(f"{system['ledger'].url}/v1/cases/{case_id}")
    return response.json() if response.status_code == 200 and response.json()["status"] == status else None


def test_an_80_seat_restaurant_with_a_sign_is_approved_by_three_departments_and_the_portal_is_told(
    system, portal, webhook
):
    response = portal.post(
        f"{system['intake'].url}/v1/applications",
        json=restaurant_application(seats=80, sign=True),
        headers={"Idempotency-Key": new_key()},
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert [step["department"] for step in accepted["route"]] == [
        "market-regulation",
        "fire-rescue",
        "urban-management",
    ]

    case = eventually(lambda: case_state(portal, system, accepted["case_id"], "approved"))
    assert {part["department"]: part["status"] for part in case["departments"]} == {
        "market-regulation": "approved",
        "fire-rescue": "approved",
        "urban-management": "approved",
    }
    assert sorted(licence["approval"] for licence in case["licences"]) == [
        "business-licence",
        "fire-safety-check",
        "food-business-permit",
        "outdoor-sign-permit",
    ]

    def approval_notice():
        for request in webhook.received:
            body = json.loads(request["body"])
            if body["type"] == "onestep.case.approved" and body["subject"] == accepted["case_id"]:
                return request, body
        return None

    request, body = eventually(approval_notice)
    assert verify(WEBHOOK_SECRET, request["body"], request["headers"][SIGNATURE_HEADER])
    assert len(body["data"]["licences"]) == 4

    def delivered_types():
        notifications = portal.get(
            f"{system['notify'].url}/v1/notifications", params={"case_id": accepted["case_id"]}
        ).json()["notifications"]
        types = {d["event_type"] for d in notifications if d["state"] == "delivered"}
        return types if types >= {"onestep.case.opened", "onestep.case.approved"} else None

    assert eventually(delivered_types) == {"onestep.case.opened", "onestep.case.approved"}


def test_a_30_seat_restaurant_without_a_sign_needs_only_market_regulation(system, portal):
    key = new_key()
    response = portal.post(
        f"{system['intake'].url}/v1/applications",
        json=restaurant_application(seats=30, sign=False),
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 202, response.text
    assert [step["department"] for step in response.json()["route"]] == ["market-regulation"]
    case = eventually(lambda: case_state(portal, system, response.json()["case_id"], "approved"))
    assert [part["department"] for part in case["departments"]] == ["market-regulation"]
    assert sorted(licence["approval"] for licence in case["licences"]) == ["business-licence", "food-business-permit"]

    # The portal retries the same application with the same key: same case, still one case.
    retry = portal.post(
        f"{system['intake'].url}/v1/applications",
        json=restaurant_application(seats=30, sign=False),
        headers={"Idempotency-Key": key},
    )
    assert retry.status_code == 202 and retry.json()["case_id"] == case["case_id"]
    timeline = portal.get(f"{system['ledger'].url}/v1/cases/{case['case_id']}/timeline").json()["events"]
    # (the gateway's acceptance and decision may reach the ledger before the application: they
    # travel on another topic, and wait for it)
    names = [event["event"] for event in timeline]
    filed = [name for name in names if name in ("Opened", "ApplicationArrived", "DepartmentDecided", "Approved")]
    assert filed[0] in ("Opened", "ApplicationArrived") and filed[1:] == ["DepartmentDecided", "Approved"]
    # Decided by rules at once: the decision says which gateway took the task; no acceptance of its own.
    assert names.count("TaskAccepted") == 0
    ((gateway,),) = [part["accepted_by"] for part in case["departments"]]
    assert gateway.startswith("department-gateway.market-regulation")

    # The same key for a different application: the first stands, the second shows as refused.
    other = portal.post(
        f"{system['intake'].url}/v1/applications",
        json=restaurant_application(seats=90, sign=True),
        headers={"Idempotency-Key": key},
    )
    assert other.json()["case_id"] == case["case_id"]

    def refused():
        events = portal.get(f"{system['ledger'].url}/v1/cases/{case['case_id']}/timeline").json()["events"]
        return next((event for event in events if event["event"] == "ApplicationRefused"), None)

    assert "Idempotency-Key was reused" in eventually(refused)["refused"]
    # Departments that the other application would have needed are refused too: not on this route.
    final = portal.get(f"{system['ledger'].url}/v1/cases/{case['case_id']}").json()
    assert final["status"] == "approved" and [p["department"] for p in final["departments"]] == ["market-regulation"]


def test_a_tiny_raw_seafood_kitchen_is_rejected_by_market_regulation_and_the_portal_is_told_why(
    system, portal, webhook
):
    body = restaurant_application(seats=80, sign=False)
    body["form"].update(food_categories=["raw_seafood"], floor_area_m2=20.0)
    response = portal.post(f"{system['intake'].url}/v1/applications", json=body, headers={"Idempotency-Key": new_key()})
    assert response.status_code == 202, response.text
    case_id = response.json()["case_id"]
    case = eventually(lambda: case_state(portal, system, case_id, "rejected"))
    market = next(part for part in case["departments"] if part["department"] == "market-regulation")
    assert market["status"] == "rejected" and "separate preparation room" in market["reason"]
    assert case["licences"] == [] or all(lic["department"] != "market-regulation" for lic in case["licences"])

    def rejection_notice():
        for request in webhook.received:
            notice = json.loads(request["body"])
            if notice["type"] == "onestep.case.rejected" and notice["subject"] == case_id:
                return notice
        return None

    notice = eventually(rejection_notice)
    assert notice["data"]["department"] == "market-regulation"

"""Opening a restaurant, end to end: portal → intake → Kafka → gateways → ledger → notify → webhook."""

from __future__ import annotations

import json

from onestep_contracts.signing import SIGNATURE_HEADER, verify

from ..scenarios import new_key, restaurant_application
from .system import WEBHOOK_SECRET
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

    deliveries = eventually(
        lambda: (
            [
                d
                for d in portal.get(
                    f"{system['notify'].url}/v1/notifications", params={"case_id": accepted["case_id"]}
                ).json()["notifications"]
                if d["state"] == "delivered"
            ]
            if len(webhook.received) >= 2
            else None
        )
    )
    assert {d["event_type"] for d in deliveries} >= {"onestep.case.opened", "onestep.case.approved"}


def test_a_30_seat_restaurant_without_a_sign_needs_only_market_regulation(system, portal):
    response = portal.post(
        f"{system['intake'].url}/v1/applications",
        json=restaurant_application(seats=30, sign=False),
        headers={"Idempotency-Key": new_key()},
    )
    assert response.status_code == 202, response.text
    assert [step["department"] for step in response.json()["route"]] == ["market-regulation"]
    case = eventually(lambda: case_state(portal, system, response.json()["case_id"], "approved"))
    assert [part["department"] for part in case["departments"]] == ["market-regulation"]
    assert sorted(licence["approval"] for licence in case["licences"]) == ["business-licence", "food-business-permit"]

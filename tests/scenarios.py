"""Builders for the domain's scenarios: restaurants, their applicants and materials."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

RESTAURANT_MATERIALS = ["applicant-identity", "premises-proof", "food-safety-plan", "floor-plan", "sign-design"]


def restaurant_form(*, seats: int, sign: bool = False, **changes: Any) -> dict[str, Any]:
    form = {
        "business_name": "湘味小馆 Xiang Flavour",
        "address": "长沙市芙蓉区五一大道 100 号",
        "seats": seats,
        "floor_area_m2": 120.0,
        "has_outdoor_sign": sign,
        "sells_tobacco": False,
        "food_categories": ["hot_meals", "drinks"],
    }
    form.update(changes)
    return form


def material_bytes(code: str) -> bytes:
    return f"%PDF-1.7 scanned {code}".encode()


def material_refs(codes: list[str] = RESTAURANT_MATERIALS) -> list[dict[str, str]]:
    return [{"code": code, "sha256": hashlib.sha256(material_bytes(code)).hexdigest()} for code in codes]


def restaurant_application(
    *, seats: int = 30, sign: bool = False, region: str = "430102", **changes: Any
) -> dict[str, Any]:
    body = {
        "item": "open-restaurant",
        "region": region,
        "applicant": {
            "name": "李湘",
            "id_type": "resident_id",
            "id_number": "430102199001011234",
            "phone": "13800000000",
        },
        "form": restaurant_form(seats=seats, sign=sign),
        "materials": material_refs(),
    }
    body.update(changes)
    return body


def new_key() -> str:
    return str(uuid.uuid4())


def submitted_envelope(case_id, departments: list[str], *, portal: str = "portal-a", submitted_at=None, **fields: Any):
    """An ApplicationSubmitted as intake would publish it, routed to the given departments
    (`fields` replace the event's other fields: item, region, baseline, ...)."""
    from datetime import UTC, datetime, timedelta

    from onestep_contracts import ApplicationSubmitted, RouteStep, deterministic_id, envelope

    now = submitted_at or datetime.now(UTC)
    event = ApplicationSubmitted(
        case_id=case_id,
        item="open-restaurant",
        item_version=1,
        portal=portal,
        region="430102",
        accepted_region="430103",
        applicant=restaurant_application()["applicant"],
        form=restaurant_form(seats=30, sign=False),
        materials=material_refs(RESTAURANT_MATERIALS[:3]),
        route=[
            RouteStep(department=d, approvals=[f"{d}-ok"], promised_days=3, due_at=now + timedelta(days=3))
            for d in departments
        ],
        promised_days=5,
        due_at=now + timedelta(days=5),
        submitted_at=now,
    ).model_copy(update=fields)
    return envelope(event, source="test/intake", id=deterministic_id(case_id, "submitted"))


def decided_envelope(
    case_id, department: str, outcome: str = "approved", reason: str = "", *, missing=(), decided_at=None
):
    """A DepartmentDecided as a gateway would publish it."""
    from datetime import UTC, datetime

    from onestep_contracts import DepartmentDecided, Licence, deterministic_id, envelope

    task_id = deterministic_id(case_id, department, "task")
    licences = (
        [Licence(department=department, approval=f"{department}-ok", number="T1")] if outcome == "approved" else []
    )
    event = DepartmentDecided(
        case_id=case_id,
        task_id=task_id,
        department=department,
        outcome=outcome,
        reason=reason,
        licences=licences,
        missing=list(missing),
        decided_by="test",
        decided_at=decided_at or datetime.now(UTC),
    )
    return envelope(event, source=f"test/{department}", id=deterministic_id(task_id, "decided"))


def accepted_envelope(case_id, department: str, gateway: str | None = None):
    """A TaskAccepted as a department's gateway would publish it for the first round's task."""
    from datetime import UTC, datetime

    from onestep_contracts import TaskAccepted, deterministic_id, envelope

    task_id = deterministic_id(case_id, department, "task")
    gateway = gateway or f"department-gateway.{department}"
    event = TaskAccepted(
        case_id=case_id, task_id=task_id, department=department, gateway=gateway, accepted_at=datetime.now(UTC)
    )
    return envelope(event, source=f"test/{department}", id=deterministic_id(task_id, f"accepted:{gateway}"))


def cancelled_envelope(case_id, department: str, reason: str):
    """A TaskCancelled as the ledger publishes it when the case ends with the first round's task open."""
    from datetime import UTC, datetime

    from onestep_contracts import TaskCancelled, deterministic_id, envelope, task_id_for

    event = TaskCancelled(
        case_id=case_id,
        task_id=task_id_for(case_id, department),
        department=department,
        reason=reason,
        cancelled_at=datetime.now(UTC),
    )
    return envelope(event, source="test/case-ledger", id=deterministic_id(case_id, "cancelled", department))

"""Builders for Case aggregate scenarios: applications with routes, decisions, supplements."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from onestep_contracts.calendar import WorkingCalendar
from onestep_ledger.domain.case import Case

CALENDAR = WorkingCalendar()  # weekends only: the scenarios do not cross a holiday
SUBMITTED = datetime(2026, 12, 1, 9, 0, tzinfo=CALENDAR.zone)  # a Tuesday


def at(hours: float) -> str:
    """A moment `hours` after submission, as the events carry it."""
    return (SUBMITTED + timedelta(hours=hours)).isoformat()


def step(department: str, *needs: str, days: int = 3) -> dict[str, Any]:
    return {
        "department": department,
        "approvals": [f"{department}-approval"],
        "needs": list(needs),
        "promised_days": days,
        "due_at": CALENDAR.add_working_days(SUBMITTED, days).isoformat(),
        "task_id": f"00000000-0000-4000-8000-{abs(hash(department)) % 10**12:012d}",
    }


def application(*steps: str | dict[str, Any], promises: list[dict[str, str]] = ()) -> dict[str, Any]:
    return {
        "portal": "portal-a",
        "item": "open-restaurant",
        "item_version": 2,
        "region": "430102",
        "accepted_region": "430103",
        "form": {"seats": 80},
        "materials": [{"code": "premises-proof", "sha256": "0" * 64}],
        "promises": list(promises),
        "route": [s if isinstance(s, dict) else step(s) for s in steps],
        "promised_days": 5,
        "due_at": CALENDAR.add_working_days(SUBMITTED, 5).isoformat(),
        "submitted_at": SUBMITTED.isoformat(),
    }


def decision(case: Case, department: str, outcome: str = "approved", *, hours: float = 1, **more: Any) -> dict:
    """The decision of the department's open task, as its gateway would send it."""
    licences = [{"department": department, "approval": f"{department}-approval", "number": f"N-{department}"}]
    return {
        "department": department,
        "task_id": case.departments[department]["task_id"] if department in case.departments else "x",
        "outcome": outcome,
        "reason": more.pop("reason", ""),
        "licences": licences if outcome == "approved" else [],
        "missing": more.pop("missing", []),
        "decided_at": at(hours),
        "gateway": more.pop("gateway", None),
    }


def supplement(*codes: str, hours: float, portal: str = "portal-a", **answers: Any) -> dict[str, Any]:
    return {
        "portal": portal,
        "materials": [{"code": code, "sha256": "1" * 64} for code in codes],
        "answers": answers,
        "supplied_at": at(hours),
    }


def decide(case: Case, department: str, outcome: str = "approved", *, event_id: str | None = None, **more: Any):
    case.record_decision(decision(case, department, outcome, **more), event_id or f"{department}-{outcome}", CALENDAR)


def event_names(case: Case) -> list[str]:
    return [type(event).__name__ for event in case.collect_events()]

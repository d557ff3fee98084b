"""Read models the API returns: a case's state and its timeline, with personal data masked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .domain.case import Case


def mask(value: str | None, keep: int = 4) -> str | None:
    """Shows only the last digits of an ID number or phone."""
    if not value:
        return value
    return "*" * max(len(value) - keep, 0) + value[-keep:]


def case_view(case: Case, now: datetime) -> dict[str, Any]:
    """The case as its portal sees it, with what is overdue (and whose) at `now`."""
    application = case.application or {}
    today = now.date().isoformat()
    promises = [
        {"code": code, **promise, "overdue": promise["supplied_at"] is None and promise["by"] < today}
        for code, promise in case.promises.items()
    ]
    open_parts = {code: part for code, part in case.departments.items() if part["status"] == "pending"}
    overdue = [
        {"department": code, "task_id": part["task_id"], "due_at": part["due_at"]}
        for code, part in open_parts.items()
        if case.clock_stopped_at is None and datetime.fromisoformat(part["due_at"]) < now
    ]
    unroutable = [
        {"department": code, "task_id": part["task_id"], "opened_at": part["opened_at"]}
        for code, part in open_parts.items()
        if part.get("unroutable")
    ]
    return {
        "case_id": str(case.id),
        "status": case.status,
        "item": application.get("item"),
        "item_version": application.get("item_version"),
        "region": application.get("region"),
        "accepted_region": application.get("accepted_region"),
        "submitted_at": application.get("submitted_at"),
        "due_at": case.due_at,
        "clock_stopped_at": case.clock_stopped_at,
        "departments": [
            {"department": code, **{k: v for k, v in part.items() if k != "first_task_id"}}
            for code, part in case.departments.items()
        ],
        "supplement_notice": case.notice if case.status == "supplement_required" else [],
        "promises": promises,
        "overdue": overdue,
        "unroutable": unroutable,
        "licences": case.licences,
        "version": case.version,
    }


def timeline_entry(domain_event: Any) -> dict[str, Any]:
    name = type(domain_event).__name__
    entry: dict[str, Any] = {
        "seq": domain_event.originator_version,
        "event": name,
        "at": domain_event.timestamp.isoformat(),
    }
    decision = getattr(domain_event, "decision", None)
    if decision:
        entry.update(department=decision["department"], outcome=decision["outcome"], reason=decision.get("reason", ""))
        if decision.get("gateway"):
            entry["gateway"] = decision["gateway"]
    if name.endswith("Refused"):
        entry["refused"] = domain_event.reason
    application = getattr(domain_event, "application", None)
    if application:
        applicant = application["applicant"]
        entry["applicant"] = {"name": applicant["name"], "id_number": mask(applicant["id_number"])}
        entry["departments"] = [step["department"] for step in application["route"]]
    if name == "TaskAccepted":
        acceptance = domain_event.acceptance
        entry.update(department=acceptance["department"], task_id=acceptance["task_id"], gateway=acceptance["gateway"])
    if name == "TaskUnroutable":
        entry.update(department=domain_event.department, task_id=domain_event.task_id, region=domain_event.region)
    if name in ("TaskOpened", "TaskCancelled"):
        entry.update(department=domain_event.department, task_id=domain_event.task_id, reason=domain_event.reason)
    if name == "TaskOpened":
        entry.update(round=domain_event.round, due_at=domain_event.due_at, licences=domain_event.licences)
    if name == "SupplementRequested":
        entry["requests"] = domain_event.requests
    if name == "SupplementProvided":
        supplement = domain_event.supplement
        entry.update(
            materials=[material["code"] for material in supplement.get("materials", [])],
            answers=sorted(supplement.get("answers", {})),
            due_at=domain_event.due_at,
            clock_stopped_s=domain_event.paused_s,
        )
    if name == "Withdrawn":
        entry["reason"] = domain_event.reason
    if name == "Approved":
        entry["licences"] = domain_event.licences
    if name == "Rejected":
        entry.update(department=domain_event.department, reason=domain_event.reason)
    return entry

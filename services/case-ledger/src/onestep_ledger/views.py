"""Read models the API returns: a case's state and its timeline, with personal data masked."""

from __future__ import annotations

from typing import Any

from .domain.case import Case


def mask(value: str | None, keep: int = 4) -> str | None:
    """Shows only the last digits of an ID number or phone."""
    if not value:
        return value
    return "*" * max(len(value) - keep, 0) + value[-keep:]


def case_view(case: Case) -> dict[str, Any]:
    application = case.application or {}
    return {
        "case_id": str(case.id),
        "status": case.status,
        "item": application.get("item"),
        "item_version": application.get("item_version"),
        "region": application.get("region"),
        "accepted_region": application.get("accepted_region"),
        "submitted_at": application.get("submitted_at"),
        "due_at": application.get("due_at"),
        "departments": [{"department": code, **part} for code, part in case.departments.items()],
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
    if name in ("DecisionRefused", "ApplicationRefused"):
        entry["refused"] = domain_event.reason
    application = getattr(domain_event, "application", None)
    if application:
        applicant = application["applicant"]
        entry["applicant"] = {"name": applicant["name"], "id_number": mask(applicant["id_number"])}
        entry["departments"] = [step["department"] for step in application["route"]]
    if name == "Approved":
        entry["licences"] = domain_event.licences
    if name == "Rejected":
        entry.update(department=domain_event.department, reason=domain_event.reason)
    return entry

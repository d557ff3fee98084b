"""Maps contract events to the Case aggregate's plain values, and its domain events back.

The aggregate can change shape without breaking a department's adapter or a portal:
only this module knows both sides.
"""

from __future__ import annotations

from typing import Any

from onestep_contracts import (
    ApplicationSubmitted,
    CaseApproved,
    CaseOpened,
    CaseRejected,
    DepartmentDecided,
    IntegrationEvent,
    deterministic_id,
)

from ..domain.case import Case


def event_values(event: ApplicationSubmitted | DepartmentDecided) -> dict[str, Any]:
    """The event's data as the aggregate takes it: plain JSON values, without the case id."""
    return event.model_dump(mode="json", exclude={"case_id"})


def case_event_id(domain_event: Any) -> str:
    """Stable per stored event, so a re-published case event keeps its id."""
    return deterministic_id(domain_event.originator_id, "case-event", domain_event.originator_version)


def contract_events(domain_event: Any) -> list[IntegrationEvent]:
    """The integration events a stored Case event is published as (most publish none)."""
    case_id = domain_event.originator_id
    if isinstance(domain_event, (Case.Opened, Case.ApplicationArrived)):
        application = domain_event.application
        return [
            CaseOpened(
                case_id=case_id,
                portal=application["portal"],
                item=application["item"],
                region=application["region"],
                accepted_region=application["accepted_region"],
                departments=[step["department"] for step in application["route"]],
                due_at=application["due_at"],
                opened_at=domain_event.timestamp,
            )
        ]
    if isinstance(domain_event, Case.Approved):
        return [
            CaseApproved(
                case_id=case_id,
                portal=domain_event.portal,
                item=domain_event.item,
                licences=domain_event.licences,
                approved_at=domain_event.timestamp,
            )
        ]
    if isinstance(domain_event, Case.Rejected):
        return [
            CaseRejected(
                case_id=case_id,
                portal=domain_event.portal,
                item=domain_event.item,
                department=domain_event.department,
                reason=domain_event.reason,
                rejected_at=domain_event.timestamp,
            )
        ]
    return []

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
    CaseWithdrawn,
    DepartmentDecided,
    IntegrationEvent,
    PromiseMissed,
    SupplementProvided,
    SupplementRequested,
    TaskAccepted,
    TaskCancelled,
    TaskOpened,
    TaskOverdue,
    TaskReminder,
    TaskUnroutable,
    WithdrawalRequested,
    deterministic_id,
    task_id_for,
)

from ..domain.case import Case


def event_values(event: DepartmentDecided | TaskAccepted | SupplementProvided | WithdrawalRequested) -> dict[str, Any]:
    """The event's data as the aggregate takes it: plain JSON values, without the case id."""
    return event.model_dump(mode="json", exclude={"case_id"})


def application_values(event: ApplicationSubmitted) -> dict[str, Any]:
    """The application as the aggregate takes it, each route step with its first task's id
    (the id the department's gateway gives the task it opens from the same event)."""
    application = event_values(event)
    for step in application["route"]:
        step["task_id"] = task_id_for(event.case_id, step["department"])
    return application


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
    if isinstance(domain_event, Case.TaskOpened):
        return [
            TaskOpened(
                case_id=case_id,
                task_id=domain_event.task_id,
                department=domain_event.department,
                round=domain_event.round,
                **domain_event.case,
                form=domain_event.form,
                materials=domain_event.materials,
                approvals=domain_event.approvals,
                licences=domain_event.licences,
                due_at=domain_event.due_at,
                opened_at=domain_event.opened_at,
            )
        ]
    if isinstance(domain_event, Case.TaskCancelled):
        return [
            TaskCancelled(
                case_id=case_id,
                task_id=domain_event.task_id,
                department=domain_event.department,
                reason=domain_event.reason,
                cancelled_at=domain_event.timestamp,
            )
        ]
    if isinstance(domain_event, Case.SupplementRequested):
        return [
            SupplementRequested(
                case_id=case_id,
                portal=domain_event.portal,
                item=domain_event.item,
                requests=domain_event.requests,
                requested_at=domain_event.at,
            )
        ]
    if isinstance(domain_event, Case.TaskReminded):
        return [
            TaskReminder(
                case_id=case_id,
                task_id=domain_event.task_id,
                department=domain_event.department,
                due_at=domain_event.due_at,
                reminded_at=domain_event.timestamp,
            )
        ]
    if isinstance(domain_event, Case.TaskOverdue):
        return [
            TaskOverdue(
                case_id=case_id,
                task_id=domain_event.task_id,
                department=domain_event.department,
                due_at=domain_event.due_at,
                overdue_at=domain_event.timestamp,
            )
        ]
    if isinstance(domain_event, Case.TaskUnroutable):
        return [
            TaskUnroutable(
                case_id=case_id,
                task_id=domain_event.task_id,
                department=domain_event.department,
                region=domain_event.region,
                opened_at=domain_event.opened_at,
                reported_at=domain_event.timestamp,
            )
        ]
    if isinstance(domain_event, Case.PromiseMissed):
        return [
            PromiseMissed(
                case_id=case_id,
                portal=domain_event.portal,
                item=domain_event.item,
                code=domain_event.code,
                by=domain_event.by,
                missed_at=domain_event.timestamp,
            )
        ]
    if isinstance(domain_event, Case.Withdrawn):
        return [
            CaseWithdrawn(
                case_id=case_id,
                portal=domain_event.portal,
                item=domain_event.item,
                reason=domain_event.reason,
                withdrawn_at=domain_event.timestamp,
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

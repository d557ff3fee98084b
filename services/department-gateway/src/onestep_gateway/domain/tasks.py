"""Which tasks a department has in an application, read from its route."""

from __future__ import annotations

from typing import Any

from onestep_contracts import ApplicationSubmitted, TaskOpened, task_id_for
from onestep_contracts.events import RouteStep


def route_step_for(route: list[RouteStep], department: str) -> RouteStep | None:
    """This department's step of a route, or None when the application does not need it."""
    return next((step for step in route if step.department == department), None)


def licence_number(prefix: str, region: str, task_id: str) -> str:
    """A licence number unique per task: prefix, region, eight digits derived from the task id."""
    digits = int(task_id.replace("-", ""), 16) % 100_000_000
    return f"{prefix}{region}{digits:08d}"


def task_for(event: ApplicationSubmitted | TaskOpened, department: str) -> dict[str, Any] | None:
    """The department's task in the event, as plain values (an `adapters.Task`): a first task
    with nothing to wait for comes with the application; a task that waited for licences, or
    a new round, comes from the ledger."""
    if isinstance(event, TaskOpened):
        if event.department != department:
            return None
        return event.model_dump(mode="json", exclude={"opened_at"})
    route_step = route_step_for(event.route, department)
    if route_step is None or route_step.needs:
        return None
    step = route_step.model_dump(mode="json")
    return {
        "task_id": task_id_for(event.case_id, department),
        "case_id": str(event.case_id),
        "department": department,
        "item": event.item,
        "item_version": event.item_version,
        "region": event.region,
        "accepted_region": event.accepted_region,
        "form": event.form,
        "materials": [material.model_dump(mode="json", exclude_none=True) for material in event.materials],
        "approvals": step["approvals"],
        "due_at": step["due_at"],
    }


def serves(regions: tuple[str, ...], region: str) -> bool:
    """Whether a gateway for these region prefixes handles a task of `region` (the region that
    handles the case, whatever region accepted it); no prefixes: every region."""
    return not regions or region.startswith(regions)

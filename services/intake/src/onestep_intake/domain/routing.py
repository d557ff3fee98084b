"""Resolving an application's route once, at submission, from the item version in force.

The route is a small graph: departments work in parallel unless one needs an approval another
grants (the newborn's household registration needs the birth medical certificate). A step
that needs others starts when they finish; its due time here assumes they finish on time.
"""

from datetime import datetime
from typing import Any, Protocol

from onestep_contracts import RouteStep
from onestep_contracts.catalogue import DepartmentPart, Item
from onestep_contracts.expressions import Condition, Facts


class Calendar(Protocol):
    def add_working_days(self, start: datetime, days: float) -> datetime: ...


def route_application(item: Item, form: dict[str, Any], submitted_at: datetime, calendar: Calendar) -> list[RouteStep]:
    """The departments this application needs, each with its approvals, prerequisites and due time."""
    facts = Facts(form, read_by=[Condition(part.condition) for part in item.departments if part.condition])
    parts = [part for part in item.departments if part.applies_to(facts)]
    granted_by = {approval.code: part for part in parts for approval in part.approvals}
    return [
        RouteStep(
            department=part.department,
            approvals=[approval.code for approval in part.approvals],
            promised_days=part.promised_days,
            legal_days=part.legal_days,
            needs=list(part.needs),
            due_at=calendar.add_working_days(submitted_at, _finish_day(part, granted_by)),
        )
        for part in parts
    ]


def _finish_day(part: DepartmentPart, granted_by: dict[str, DepartmentPart]) -> int:
    """Working days from submission until this part is due, if every prerequisite is on time.
    (`catalogue check` has refused cycles and prerequisites that are not always on the route.)"""
    start = max((_finish_day(granted_by[need], granted_by) for need in part.needs), default=0)
    return start + part.promised_days


def materials_needed(item: Item, route: list[RouteStep]) -> list[str]:
    """Required materials read by at least one department on the route, each once."""
    on_route = {step.department for step in route}
    read = {code for part in item.departments if part.department in on_route for code in part.reads}
    return [material.code for material in item.materials if material.required and material.code in read]

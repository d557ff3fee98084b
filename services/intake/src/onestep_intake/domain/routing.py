"""Resolving an application's route once, at submission, from the item version in force."""

from datetime import datetime, timedelta
from typing import Any

from onestep_contracts import RouteStep
from onestep_contracts.catalogue import Item


def route_application(item: Item, form: dict[str, Any], submitted_at: datetime) -> list[RouteStep]:
    """The departments this application needs, each with the approvals it grants and its due time."""
    return [
        RouteStep(
            department=part.department,
            approvals=[approval.code for approval in part.approvals],
            promised_days=part.promised_days,
            due_at=submitted_at + timedelta(days=part.promised_days),
        )
        for part in item.departments
        if part.applies_to(form)
    ]


def materials_needed(item: Item, route: list[RouteStep]) -> list[str]:
    """Required materials read by at least one department on the route, each once."""
    on_route = {step.department for step in route}
    read = {code for part in item.departments if part.department in on_route for code in part.reads}
    return [material.code for material in item.materials if material.required and material.code in read]

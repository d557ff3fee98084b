"""Which tasks a department has in an application, read from its route."""

from __future__ import annotations

from typing import Any


def route_step_for(route: list[dict[str, Any]], department: str) -> dict[str, Any] | None:
    """This department's step of a route, or None when the application does not need it."""
    return next((step for step in route if step["department"] == department), None)


def licence_number(prefix: str, region: str, task_id: str) -> str:
    """A licence number unique per task: prefix, region, eight digits derived from the task id."""
    digits = int(task_id.replace("-", ""), 16) % 100_000_000
    return f"{prefix}{region}{digits:08d}"

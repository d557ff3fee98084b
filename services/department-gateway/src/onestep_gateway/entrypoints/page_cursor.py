"""Where a page of the desk's list ended (a task's due time and id), as an opaque `after`.

Opaque so that clients pass it back as given rather than build one, and URL-safe so it needs
no escaping in a query string (a due time has a `+`)."""

from __future__ import annotations

import base64
import json

from onestep_runtime.problems import Problem, field_error


def write(due_at: str, task_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([due_at, task_id]).encode()).decode().rstrip("=")


def read(cursor: str) -> tuple[str, str]:
    """The due time and task id a cursor names; 422 when it is not one this list gave."""
    try:
        due_at, task_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(due_at, str) and isinstance(task_id, str):
            return due_at, task_id
    except (ValueError, TypeError):  # not base64, not JSON, not a pair
        pass
    raise Problem(
        422,
        "The request is not valid",
        errors=[field_error("query/after", "not a cursor this list gave: pass a page's `next` as it is")],
    )

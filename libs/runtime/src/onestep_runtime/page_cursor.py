"""Where a page of a list ended (its last row's sort key and id: a task's due time, a parked
delivery's time), as an opaque `after` for the next page.

Opaque so that clients pass it back as given rather than build one, and URL-safe so it needs
no escaping in a query string (a time has a `+`)."""

from __future__ import annotations

import base64
import json

from .problems import Problem, field_error


def write(key: str, id_: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([key, id_]).encode()).decode().rstrip("=")


def read(cursor: str) -> tuple[str, str]:
    """The sort key and id a cursor names; 422 when it is not one a list gave."""
    try:
        key, id_ = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(key, str) and isinstance(id_, str):
            return key, id_
    except (ValueError, TypeError):  # not base64, not JSON, not a pair
        pass
    raise Problem(
        422,
        "The request is not valid",
        errors=[field_error("query/after", "not a cursor this list gave: pass a page's `next` as it is")],
    )

"""A request's body read up to a limit: refused with 413 once it is longer (by its
Content-Length, or as it is read, for a body sent in chunks) rather than read whole into the
process's memory first. For routes that read their body themselves: a portal's JSON at intake,
a department's signed callback at a gateway (read before its signature can be checked)."""

from __future__ import annotations

from starlette.requests import Request

from .problems import Problem


class BodyTooLarge(Problem):
    def __init__(self, limit: int, hint: str = ""):
        super().__init__(
            413, "The request body is too large", detail=f"At most {limit} bytes.{' ' + hint if hint else ''}"
        )


async def read_within(request: Request, limit: int, *, hint: str = "") -> bytes:
    """The body, or BodyTooLarge (a 413 problem; `hint` says what to send instead)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit, hint)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit, hint)
        chunks.append(chunk)
    return b"".join(chunks)

"""A request's body held to a limit: refused with 413 once it is longer (by its
Content-Length, or as it is read, for a body sent in chunks) rather than read whole into the
process's memory, or spooled to its disk, first.

`BodyLimit` holds every route of an app to one limit (a gateway's every body, a material's
multipart upload at intake); `read_within` holds a route that reads its own body to a tighter
one (a portal's JSON at intake)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import Problem, problem_response


class BodyTooLarge(Problem):
    def __init__(self, limit: int, hint: str = ""):
        super().__init__(
            413, "The request body is too large", detail=f"At most {limit} bytes.{' ' + hint if hint else ''}"
        )


class _ReadPastLimit(HTTPException):
    """BodyTooLarge as it leaves a body the framework is reading: FastAPI answers any exception
    but an HTTPException raised there with a 400. `install_problem_handlers` answers its problem."""

    def __init__(self, problem: BodyTooLarge):
        super().__init__(problem.status, problem.title)
        self.problem = problem


async def read_within(request: Request, limit: int, *, hint: str = "") -> bytes:
    """The body, or BodyTooLarge (a 413 problem; `hint` says what to send instead)."""
    if _declared_length(request.headers.get("content-length", "")) > limit:
        raise BodyTooLarge(limit, hint)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit, hint)
        chunks.append(chunk)
    return b"".join(chunks)


class BodyLimit:
    """An ASGI middleware refusing any request body longer than `limit` bytes: by its declared
    Content-Length before the app runs, or once the app has read past the limit. `hint` says
    what the app's routes take, when that is less than the limit."""

    def __init__(self, app: ASGIApp, *, limit: int, hint: str = ""):
        self.app = app
        self.limit = limit
        self.hint = hint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if _declared_length(headers.get(b"content-length", b"").decode("latin-1")) > self.limit:
            await problem_response(BodyTooLarge(self.limit, self.hint), instance=scope["path"])(scope, receive, send)
            return
        received = 0

        async def receive_within() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _ReadPastLimit(BodyTooLarge(self.limit, self.hint))
            return message

        await self.app(scope, receive_within, send)


def _declared_length(value: str) -> int:
    return int(value) if value.isdigit() else -1

"""One route served without the framework's per-request layers: for the request nearly every
client sends (intake's submissions), where those layers were a share of the service's CPU."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .problems import Problem, as_problem, problem_response

Endpoint = Callable[[Request], Awaitable[Response]]


class DirectRoute:
    """An ASGI middleware that answers `method path` by calling the route's own endpoint, which
    takes the request and returns the response. The route stays declared on the app, for its
    documentation and for the requests this does not take (another method, another path).

    Added with `app.add_middleware`, it runs inside the app's error, telemetry and body-size
    middleware, and stands in for the rest: the exception middleware, the router's matching and
    FastAPI's request-response wrapping. Measured alone, with a route that answers at once,
    those took about 45 µs a request (55 through the app, 11 with this). A Problem or an
    HTTPException the endpoint raises is answered as `install_problem_handlers` answers it
    (problem+json); any other exception goes on to the app's error middleware (500), as it does
    from the router."""

    def __init__(self, app: ASGIApp, *, method: str, path: str, endpoint: Endpoint):
        self.app = app
        self.method = method
        self.path = path
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != self.method or _route_path(scope) != self.path:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.endpoint(request)
        except (Problem, HTTPException) as error:
            response = problem_response(as_problem(error), instance=request.url.path)
        await response(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The path the app's routes match: without the prefix a proxy mounts the app under."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path

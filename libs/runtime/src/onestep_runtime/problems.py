"""RFC 9457 problem details: every error a client gets, with every problem listed."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raised by a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        *,
        detail: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


def problem_response(problem: Problem, instance: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": problem.title, "status": problem.status}
    if problem.detail:
        body["detail"] = problem.detail
    if instance:
        body["instance"] = instance
    if problem.errors:
        body["errors"] = problem.errors
    return JSONResponse(body, status_code=problem.status, headers=problem.headers, media_type=PROBLEM_JSON)


def as_problem(error: Problem | StarletteHTTPException) -> Problem:
    """The problem an error answers with: its own, the one an HTTPException carries (raised
    where only HTTPExceptions pass, e.g. while the framework reads a body), or its status."""
    if isinstance(error, Problem):
        return error
    carried = getattr(error, "problem", None)
    if isinstance(carried, Problem):
        return carried
    return Problem(error.status_code, str(error.detail), headers=dict(error.headers or {}))


def problem_responses(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """A route's refusals for its OpenAPI `responses`, each answered with a problem document."""
    return {status: {"description": text, "content": {PROBLEM_JSON: {}}} for status, text in described.items()}


def field_error(pointer: str, message: str, **extra: Any) -> dict[str, Any]:
    """One listed problem; `pointer` is a JSON Pointer into the request (RFC 6901)."""
    return {"pointer": pointer, "detail": message, **extra}


def _pointer(location: tuple) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] == "body":
        parts = parts[1:]
        return "#/" + "/".join(parts)
    return "/".join(parts)


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, instance=request.url.path)

    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [field_error(_pointer(tuple(error["loc"])), error["msg"]) for error in exc.errors()]
        malformed = any(error["type"] == "json_invalid" for error in exc.errors())
        title = "The request body is not valid JSON" if malformed else "The request is not valid"
        status = 400 if malformed else 422
        return problem_response(Problem(status, title, errors=errors), instance=request.url.path)

    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(as_problem(exc), instance=request.url.path)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)

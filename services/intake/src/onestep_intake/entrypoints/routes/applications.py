"""Applications: accepted (202) only once Kafka has acknowledged them."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import Counter
from pydantic_core import to_json

from onestep_runtime.problems import Problem, field_error, problem_responses
from onestep_runtime.request_body import BodyTooLarge, read_within

from ...adapters.kafka_publisher import PublishFailed
from ...application import ApplicationInvalid
from ...bootstrap import Intake
from ..dependencies import intake, portal
from ..openapi import APPLICATION_BODY, IDEMPOTENCY_KEY
from ..strict_json import NotJson, parse

router = APIRouter(tags=["applications"])
SUBMIT_PATH = "/applications"  # also served directly: entrypoints.api
MATERIALS_APART = "Materials are uploaded on their own (POST /v1/materials) and referred to by sha256."


async def json_body(request: Request, context: Intake) -> Any:
    try:
        raw = await read_within(request, context.settings.max_json_bytes, hint=MATERIALS_APART)
    except BodyTooLarge:
        REFUSED.labels("413").inc()
        raise
    if not raw:
        return None
    try:
        return parse(raw)
    except NotJson as exc:
        REFUSED.labels("400").inc()
        errors = [field_error(pointer, detail) for pointer, detail in exc.problems]
        raise Problem(400, "The request body is not valid JSON", errors=errors) from exc


@contextlib.asynccontextmanager
async def refusals(context: Intake, *, retry: str) -> AsyncIterator[None]:
    """Maps the service's refusals to problem documents: 422 listing every problem, 503 to retry."""
    try:
        yield
    except ApplicationInvalid as exc:
        REFUSED.labels("422").inc()
        errors = [field_error(pointer, message) for pointer, message in exc.problems]
        raise Problem(
            422, "The request has problems", detail=f"{len(errors)} problem(s); all are listed.", errors=errors
        ) from exc
    except PublishFailed as exc:
        REFUSED.labels("503").inc()
        raise Problem(
            503,
            "The request could not be recorded now",
            detail=f"Nothing was accepted. {retry}",
            headers={"Retry-After": str(context.settings.retry_after_s)},
        ) from exc


def idempotency_key(request: Request) -> str:
    """The request's Idempotency-Key: 422 when too long, 400 when missing (read here rather
    than by FastAPI's dependency solving, which was about a tenth of intake's CPU on this,
    nearly every, request)."""
    name, limit = IDEMPOTENCY_KEY["name"], IDEMPOTENCY_KEY["schema"]["maxLength"]
    key = request.headers.get(name)
    if key is not None and len(key) > limit:
        REFUSED.labels("422").inc()
        raise Problem(
            422,
            "The request is not valid",
            errors=[field_error(f"header/{name}", f"String should have at most {limit} characters")],
        )
    if not key:
        REFUSED.labels("400").inc()
        raise Problem(
            400,
            "An Idempotency-Key header is required",
            detail="Send a unique key per application; resend it on retries.",
        )
    return key


ACCEPTED = Counter("onestep_intake_applications_accepted_total", "Applications accepted (202)", ["item"])
REFUSED = Counter("onestep_intake_applications_refused_total", "Applications refused", ["status"])


@router.post(
    SUBMIT_PATH,
    status_code=202,
    summary="File an application",
    description=(
        "Validates the application against its item and answers 202 with its case_id once the "
        "application is durably in Kafka. A retry with the same Idempotency-Key names the same case. "
        "Every problem of the request is listed at once in a 422 problem document."
    ),
    openapi_extra={**APPLICATION_BODY, "parameters": [IDEMPOTENCY_KEY]},
    responses=problem_responses(
        {
            400: "The body is not JSON, or the Idempotency-Key header is missing",
            401: "The API key is missing or names no portal",
            413: "The body is larger than INTAKE_MAX_JSON_BYTES",
            422: "The application has problems: every one is listed",
            503: "Kafka did not take the application: nothing was accepted; retry with the same key",
        }
    ),
)
async def submit_application(request: Request) -> Response:
    # The dependencies called directly: FastAPI's solving of them was most of the cost.
    context = await intake(request)
    portal_id = await portal(request)
    key = idempotency_key(request)
    body = await json_body(request, context)
    async with refusals(context, retry="Retry with the same Idempotency-Key."):
        accepted = await context.service.submit(body, portal=portal_id, idempotency_key=key)
    ACCEPTED.labels(accepted.item).inc()
    body_out = {
        "case_id": str(accepted.case_id),
        "status": "submitted",
        "item": accepted.item,
        "item_version": accepted.item_version,
        "due_at": accepted.due_at.isoformat(),
        "route": [step.model_dump(mode="json") for step in accepted.route],
        "links": {"case": f"/v1/cases/{accepted.case_id}", "timeline": f"/v1/cases/{accepted.case_id}/timeline"},
    }
    # Written by pydantic-core (Rust): the standard library's json took about 4 % of intake.
    return Response(
        to_json(body_out),
        status_code=202,
        media_type="application/json",
        headers={"Location": f"/v1/cases/{accepted.case_id}"},
    )

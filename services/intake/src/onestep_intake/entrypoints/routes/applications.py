"""Applications: accepted (202) only once Kafka has acknowledged them."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter

from onestep_runtime.problems import Problem, field_error

from ...adapters.kafka_publisher import PublishFailed
from ...application import ApplicationInvalid
from ...bootstrap import Intake
from ..dependencies import intake, portal
from ..openapi import APPLICATION_BODY

router = APIRouter(tags=["applications"])

ACCEPTED = Counter("onestep_intake_applications_accepted_total", "Applications accepted (202)", ["item"])
REFUSED = Counter("onestep_intake_applications_refused_total", "Applications refused", ["status"])


@router.post(
    "/applications",
    status_code=202,
    summary="File an application",
    description=(
        "Validates the application against its item and answers 202 with its case_id once the "
        "application is durably in Kafka. A retry with the same Idempotency-Key names the same case. "
        "Every problem of the request is listed at once in a 422 problem document."
    ),
    openapi_extra=APPLICATION_BODY,
)
async def submit_application(
    request: Request,
    context: Annotated[Intake, Depends(intake)],
    portal_id: Annotated[str, Depends(portal)],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    if not idempotency_key:
        REFUSED.labels("400").inc()
        raise Problem(
            400,
            "An Idempotency-Key header is required",
            detail="Send a unique key per application; resend it on retries.",
        )
    try:
        body: Any = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        REFUSED.labels("400").inc()
        raise Problem(400, "The request body is not valid JSON", errors=[field_error("#", str(exc))]) from exc
    try:
        accepted = await context.service.submit(body, portal=portal_id, idempotency_key=idempotency_key)
    except ApplicationInvalid as exc:
        REFUSED.labels("422").inc()
        errors = [field_error(pointer, message) for pointer, message in exc.problems]
        raise Problem(
            422, "The application has problems", detail=f"{len(errors)} problem(s); all are listed.", errors=errors
        ) from exc
    except PublishFailed as exc:
        REFUSED.labels("503").inc()
        retry_after = str(context.settings.retry_after_s)
        raise Problem(
            503,
            "The application could not be recorded now",
            detail="Nothing was accepted. Retry with the same Idempotency-Key.",
            headers={"Retry-After": retry_after},
        ) from exc
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
    return JSONResponse(body_out, status_code=202, headers={"Location": f"/v1/cases/{accepted.case_id}"})

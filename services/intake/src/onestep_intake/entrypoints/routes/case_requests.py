"""What an applicant sends about a case already filed: a supplement, a withdrawal.

Both are accepted (202) once Kafka has them; the case ledger applies them to the case, or
records on its timeline why it refused (the case is not waiting for a supplement, it is
already decided, it belongs to another portal).
"""

from collections.abc import Awaitable, Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from onestep_runtime.problems import problem_responses

from ...bootstrap import Intake
from ..dependencies import intake, portal
from ..openapi import SUPPLEMENT_BODY, WITHDRAW_BODY
from .applications import json_body, refusals

router = APIRouter(tags=["applications"])
REFUSALS = problem_responses(
    {
        400: "The body is not JSON",
        401: "The API key is missing or names no portal",
        413: "The body is larger than INTAKE_MAX_JSON_BYTES",
        422: "The request has problems: every one is listed",
        503: "Kafka did not take it: nothing was accepted; retry the same request",
    }
)


async def _accept(
    case_id: UUID, request: Request, context: Intake, action: Callable[..., Awaitable[None]], portal_id: str, what: str
) -> JSONResponse:
    """Hands the body to the service action; 202 once Kafka has it."""
    body = await json_body(request, context)
    async with refusals(context, retry="Retry the same request."):
        await action(case_id, body, portal=portal_id)
    links = {"case": f"/v1/cases/{case_id}", "timeline": f"/v1/cases/{case_id}/timeline"}
    return JSONResponse({"case_id": str(case_id), "accepted": what, "links": links}, status_code=202)


@router.post(
    "/applications/{case_id}/supplements",
    status_code=202,
    summary="Answer a supplement notice, or supply promised materials",
    description="Materials (files or e-licences) and form answers the departments asked for. Only the "
    "departments that asked review again; the case's clock restarts when this is applied.",
    openapi_extra=SUPPLEMENT_BODY,
    responses=REFUSALS,
)
async def supply(
    case_id: UUID,
    request: Request,
    context: Annotated[Intake, Depends(intake)],
    portal_id: Annotated[str, Depends(portal)],
) -> JSONResponse:
    return await _accept(case_id, request, context, context.service.supply, portal_id, "supplement")


@router.post(
    "/applications/{case_id}/withdraw",
    status_code=202,
    summary="Withdraw an application before it is decided",
    description="Open department tasks are cancelled. A case already decided stays decided; the refusal "
    "shows on its timeline.",
    openapi_extra=WITHDRAW_BODY,
    responses=REFUSALS,
)
async def withdraw(
    case_id: UUID,
    request: Request,
    context: Annotated[Intake, Depends(intake)],
    portal_id: Annotated[str, Depends(portal)],
) -> JSONResponse:
    return await _accept(case_id, request, context, context.service.withdraw, portal_id, "withdrawal")

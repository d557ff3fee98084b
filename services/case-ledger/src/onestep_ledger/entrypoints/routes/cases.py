"""Cases, as their portal sees them: state, per-department status, licences, timeline."""

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from onestep_runtime.problems import Problem

from ...application import CaseLedger, CaseNotFound
from ...views import case_view, timeline_entry

router = APIRouter(tags=["cases"])


async def ledger(request: Request) -> CaseLedger:
    return request.app.state.ledger.app


async def portal(request: Request) -> str:
    return request.app.state.authenticate_portal(request)


def _not_found(case_id: UUID) -> Problem:
    return Problem(404, "No such case", detail=f"No case {case_id} for this portal (it may not be recorded yet).")


@router.get("/cases/{case_id}", summary="A case: status, departments, licences, due times")
async def get_case(
    case_id: UUID, app: Annotated[CaseLedger, Depends(ledger)], portal_id: Annotated[str, Depends(portal)]
) -> dict[str, Any]:
    try:
        case = await asyncio.to_thread(app.case_for_portal, case_id, portal_id)
    except CaseNotFound as exc:
        raise _not_found(case_id) from exc
    return case_view(case, datetime.now(UTC))


@router.get("/cases/{case_id}/timeline", summary="Every event of the case, in order")
async def get_timeline(
    case_id: UUID, app: Annotated[CaseLedger, Depends(ledger)], portal_id: Annotated[str, Depends(portal)]
) -> dict[str, Any]:
    try:
        events = await asyncio.to_thread(app.timeline, case_id, portal_id)
    except CaseNotFound as exc:
        raise _not_found(case_id) from exc
    return {"case_id": str(case_id), "events": [timeline_entry(event) for event in events]}

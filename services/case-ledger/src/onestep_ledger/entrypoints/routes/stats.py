"""The reform's statistics from the ledger's own data (any portal may read them)."""

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from onestep_runtime.problems import Problem, field_error

from ...stats_projection import report

router = APIRouter(tags=["statistics"])


async def portal(request: Request) -> str:
    return request.app.state.authenticate_portal(request)


@router.get(
    "/stats",
    summary="Cases by state; procedures, documents and working days per case against the baseline "
    "before the reform; each department's on-time rate; inter-region cases",
)
async def get_stats(
    request: Request,
    _: Annotated[str, Depends(portal)],
    item: Annotated[str | None, Query(description="an item code")] = None,
    region: Annotated[
        str | None, Query(pattern=r"^\d{2}(\d{2}){0,2}$", description="a GB/T 2260 code or prefix: 43, 4301, 430102")
    ] = None,
    department: Annotated[str | None, Query(description="cases with a task of this department")] = None,
    since: Annotated[date | None, Query(description="submitted on or after (local date)")] = None,
    until: Annotated[date | None, Query(description="submitted on or before (local date)")] = None,
) -> dict[str, Any]:
    if since and until and since > until:
        raise Problem(422, "The request is not valid", errors=[field_error("query/until", "until is before since")])
    view = request.app.state.ledger.stats.view
    return await asyncio.to_thread(
        report, view, now=datetime.now(UTC), item=item, region=region, department=department, since=since, until=until
    )

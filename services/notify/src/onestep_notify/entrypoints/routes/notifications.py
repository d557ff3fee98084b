"""What notify sent for a case, where, and its delivery state."""

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from ...application import Notifier

router = APIRouter(tags=["notifications"])


async def notifier(request: Request) -> Notifier:
    return request.app.state.notify.app


async def portal(request: Request) -> str:
    return request.app.state.authenticate_portal(request)


@router.get("/notifications", summary="Deliveries of a case's events, with every attempt")
async def list_notifications(
    case_id: Annotated[UUID, Query()],
    app: Annotated[Notifier, Depends(notifier)],
    portal_id: Annotated[str, Depends(portal)],
) -> dict[str, Any]:
    deliveries = await asyncio.to_thread(app.deliveries_for_case, str(case_id), portal_id)
    return {"case_id": str(case_id), "notifications": deliveries or []}

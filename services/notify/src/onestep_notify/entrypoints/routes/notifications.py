"""What notify sent for a case, where, and its delivery state; a portal's parked deliveries,
and asking for them again."""

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from onestep_runtime import page_cursor
from onestep_runtime.problems import Problem, field_error

from ...application import Notifier
from ...bootstrap import Notify

router = APIRouter(tags=["notifications"])
REDELIVER_AT_MOST = 1000
BODY_BYTES = 64 * 1024  # a redelivery's event ids, at most REDELIVER_AT_MOST of them


async def notify(request: Request) -> Notify:
    return request.app.state.notify


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


@router.get(
    "/notifications/parked",
    summary="The portal's parked deliveries, longest parked first",
    description="A delivery is parked when the portal's webhook failed every attempt (`kind: unreachable`), "
    "refused it with a 4xx (`refused`), or when the portal has no webhook (`unconfigured`). A page at a time: "
    "`next` is the `after=` of the page after it (null on the last). The list follows notify's log: a delivery "
    "parked a moment ago may not be in it yet.",
)
async def list_parked(
    context: Annotated[Notify, Depends(notify)],
    portal_id: Annotated[str, Depends(portal)],
    limit: Annotated[int, Query(ge=1, le=REDELIVER_AT_MOST)] = 100,
    after: Annotated[str | None, Query(description="a page's `next`, as given")] = None,
) -> dict[str, Any]:
    where = page_cursor.read(after) if after else None
    rows = await asyncio.to_thread(context.parked.of_portal, portal_id, limit=limit, after=where)
    last = rows[-1] if len(rows) == limit else None
    return {
        "notifications": [{key: value for key, value in row.items() if key != "portal"} for row in rows],
        "next": page_cursor.write(last["parked_at"], last["event_id"]) if last else None,
    }


class RedeliverBody(BaseModel):
    event_ids: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=REDELIVER_AT_MOST,
        description="the parked deliveries to send again, by their event's id; without it, the longest parked",
    )
    limit: int = Field(default=500, ge=1, le=REDELIVER_AT_MOST, description="without `event_ids`: how many at most")


@router.post(
    "/notifications/redeliver",
    status_code=202,
    summary="Send parked deliveries again",
    description="Each is pending again and attempted as a new delivery would be (its earlier attempts are kept), "
    "and parked again if it fails again. Event ids that are not parked deliveries of the portal are refused "
    "(422, each listed) and nothing is sent. `still_parked` counts the portal's other parked deliveries: call "
    "again while it is not 0. A delivery parked because the portal's webhook failed is sent again by itself "
    "once the webhook takes a POST again.",
)
async def redeliver(
    body: RedeliverBody,
    context: Annotated[Notify, Depends(notify)],
    portal_id: Annotated[str, Depends(portal)],
) -> dict[str, Any]:
    if body.event_ids is not None:
        rows = await asyncio.to_thread(
            context.parked.of_portal, portal_id, event_ids=body.event_ids, limit=len(body.event_ids)
        )
        found = {row["event_id"] for row in rows}
        if problems := [
            field_error(f"#/event_ids/{index}", "not a parked delivery of this portal")
            for index, event_id in enumerate(body.event_ids)
            if event_id not in found
        ]:
            raise Problem(
                422, "The request has problems", detail=f"{len(problems)} problem(s); all are listed.", errors=problems
            )
    else:
        rows = await asyncio.to_thread(context.parked.of_portal, portal_id, limit=body.limit)
    parked = await asyncio.to_thread(context.parked.count, portal_id)  # before the list drops those asked for
    asked = await context.redelivery.ask_again(rows)
    return {"redelivering": asked, "still_parked": max(parked - len(asked), 0)}

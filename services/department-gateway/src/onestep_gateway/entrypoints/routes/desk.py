"""The review desk, for departments whose gateway runs the `desk` adapter: officers list the
tasks waiting for them (by region, soonest due first), claim one, read the application's
form and materials, and decide. Two officers deciding one task at once: one wins, the other
gets 409. Officers authenticate with their own keys (GATEWAY_OFFICER_KEYS)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from onestep_runtime import page_cursor
from onestep_runtime.problems import Problem

from ...domain.task import DepartmentTask
from .decisions import Context, DecisionBody, decide, load_task, save_task, task_view

router = APIRouter(tags=["review desk"])


async def officer(request: Request) -> str:
    return request.app.state.authenticate_officer(request)


Officer = Annotated[str, Depends(officer)]


@router.get(
    "/tasks",
    summary="Tasks of this department, soonest due first",
    description="A page of at most `limit` tasks; `next`, when there may be more, is the `after` "
    "that asks for the page after it (null on the last page).",
)
async def list_tasks(
    context: Context,
    _: Officer,
    status: Literal["pending", "received", "parked", "decided", "cancelled"] = "pending",
    region: Annotated[str | None, Query(pattern=r"^\d{2}(\d{2}){0,2}$", description="a region code or prefix")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(max_length=200, description="the `next` of the page before")] = None,
) -> dict[str, Any]:
    where = page_cursor.read(after) if after else None
    tasks = await asyncio.to_thread(context.desk.tasks, status=status, region=region, limit=limit, after=where)
    last = tasks[-1] if len(tasks) == limit else None
    return {"tasks": tasks, "next": page_cursor.write(last["due_at"], last["task_id"]) if last else None}


@router.get("/tasks/{task_id}", summary="One task: the application's form, materials and e-licences")
async def get_task(task_id: UUID, context: Context, _: Officer) -> dict[str, Any]:
    task = await load_task(context, task_id)
    return task_view(task)


@router.post("/tasks/{task_id}/claim", summary="Take the task to review it")
async def claim(task_id: UUID, context: Context, officer_id: Officer) -> dict[str, Any]:
    task = await load_task(context, task_id)
    _desk_task(task)
    if refusal := task.claim(officer_id):
        raise Problem(409, "The task cannot be claimed", detail=refusal)
    await save_task(context, task)
    return task_view(task)


@router.post("/tasks/{task_id}/decision", summary="Decide the task: approve, reject, or ask for more")
async def decide_task(task_id: UUID, body: DecisionBody, context: Context, officer_id: Officer) -> dict[str, Any]:
    task = await load_task(context, task_id)
    _desk_task(task)
    refusal = decide(task, body, officer_id, officer_id)
    await save_task(context, task)
    if refusal:
        raise Problem(409, "The task cannot be decided", detail=refusal)
    context.relay.wake()
    return task_view(task)


def _desk_task(task: DepartmentTask) -> None:
    if task.dispatched_to != "desk":
        where = f"the {task.dispatched_to} adapter" if task.dispatched_to else "nobody yet"
        raise Problem(409, "The task is not on the desk", detail=f"It was handed to {where}.")

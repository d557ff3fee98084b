"""Parked tasks: the department's system refused them (a 4xx: a bad configuration, a task it
could not read). Once the cause is fixed, the department's staff hand them over again, one
task or every parked task at once; each goes back through the dispatcher, recorded, and is
delivered under the same Idempotency-Key, so the department still sees it as one task."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from onestep_runtime.problems import Problem

from .decisions import Context, load_task, save_task, task_view
from .desk import Officer

router = APIRouter(tags=["parked tasks"])


@router.post("/tasks/parked/redrive", summary="Hand every parked task (of a region) to the adapter again")
async def redrive_parked(
    context: Context,
    officer_id: Officer,
    region: Annotated[str | None, Query(pattern=r"^\d{2}(\d{2}){0,2}$", description="a region code or prefix")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> dict[str, Any]:
    parked = await asyncio.to_thread(context.desk.tasks, status="parked", region=region, limit=limit)
    redriven = []
    for row in parked:
        task = await load_task(context, UUID(row["task_id"]))
        if task.redrive(officer_id) is None:
            await save_task(context, task)
            redriven.append(task.task_id)
    context.dispatch.wake()
    return {"redriven": redriven}


@router.post("/tasks/{task_id}/redrive", summary="Hand a parked task to the adapter again")
async def redrive(task_id: UUID, context: Context, officer_id: Officer) -> dict[str, Any]:
    task = await load_task(context, task_id)
    if refusal := task.redrive(officer_id):
        raise Problem(409, "The task is not parked", detail=refusal)
    await save_task(context, task)
    context.dispatch.wake()
    return task_view(task)

"""The review desk, for departments whose gateway runs the `desk` adapter: officers list the
tasks waiting for them (by region, soonest due first), claim one, read the application's
form and materials, and decide. Two officers deciding one task at once: one wins, the other
gets 409. Officers authenticate with their own keys (GATEWAY_OFFICER_KEYS)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from onestep_contracts import Licence
from onestep_runtime.problems import Problem, field_error

from ...bootstrap import Gateway
from ...domain.task import DepartmentTask

router = APIRouter(tags=["review desk"])


class LicenceNumber(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approval: str
    number: str = Field(min_length=4, max_length=60)


class DeskDecision(BaseModel):
    """approved: a licence number for each approval of the task; rejected: why;
    supplement_required: what is missing (material codes or form fields)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["approved", "rejected", "supplement_required"]
    reason: str = Field(default="", max_length=2000)
    licences: list[LicenceNumber] = []
    missing: list[str] = []


def gateway(request: Request) -> Gateway:
    return request.app.state.gateway


def officer(request: Request) -> str:
    return request.app.state.authenticate_officer(request)


Context = Annotated[Gateway, Depends(gateway)]
Officer = Annotated[str, Depends(officer)]


@router.get("/tasks", summary="Tasks of this department, soonest due first")
async def list_tasks(
    context: Context,
    _: Officer,
    status: Literal["pending", "received", "decided", "cancelled"] = "pending",
    region: Annotated[str | None, Query(pattern=r"^\d{2}(\d{2}){0,2}$", description="a region code or prefix")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    tasks = await asyncio.to_thread(context.desk.tasks, status=status, region=region, limit=limit)
    return {"tasks": tasks}


@router.get("/tasks/{task_id}", summary="One task: the application's form, materials and e-licences")
async def get_task(task_id: UUID, context: Context, _: Officer) -> dict[str, Any]:
    task = await _load(context, task_id)
    return _view(task)


@router.post("/tasks/{task_id}/claim", summary="Take the task to review it")
async def claim(task_id: UUID, context: Context, officer_id: Officer) -> dict[str, Any]:
    task = await _load(context, task_id)
    _desk_task(task)
    if refusal := task.claim(officer_id):
        raise Problem(409, "The task cannot be claimed", detail=refusal)
    await _save(context, task)
    return _view(task)


@router.post("/tasks/{task_id}/decision", summary="Decide the task: approve, reject, or ask for more")
async def decide(task_id: UUID, body: DeskDecision, context: Context, officer_id: Officer) -> dict[str, Any]:
    task = await _load(context, task_id)
    _desk_task(task)
    if problems := _decision_problems(task, body):
        raise Problem(422, "The decision is not complete", errors=problems)
    licences = [
        Licence(department=task.task["department"], approval=licence.approval, number=licence.number)
        for licence in body.licences
    ]
    decision = {
        "outcome": body.outcome,
        "reason": body.reason,
        "licences": [licence.model_dump() for licence in licences],
        "missing": body.missing,
        "decided_by": officer_id,
    }
    refusal = task.decide(decision, officer_id)
    await _save(context, task)
    if refusal:
        raise Problem(409, "The task cannot be decided", detail=refusal)
    context.relay.wake()
    return _view(task)


def _decision_problems(task: DepartmentTask, body: DeskDecision) -> list[dict[str, Any]]:
    problems = []
    approvals = task.task["approvals"]
    given = [licence.approval for licence in body.licences]
    if body.outcome == "approved":
        problems += [
            field_error("#/licences", f"give the licence number of approval {code!r}")
            for code in approvals
            if code not in given
        ]
    elif body.licences:
        problems.append(field_error("#/licences", "licences are issued only with an approval"))
    problems += [
        field_error(f"#/licences/{index}/approval", f"{code!r} is not an approval of this task: {approvals}")
        for index, code in enumerate(given)
        if code not in approvals
    ]
    if body.outcome == "rejected" and not body.reason.strip():
        problems.append(field_error("#/reason", "say why the application is rejected"))
    if body.outcome == "supplement_required" and not body.missing:
        problems.append(field_error("#/missing", "list what the applicant must supply"))
    return problems


async def _load(context: Gateway, task_id: UUID) -> DepartmentTask:
    try:
        return await asyncio.to_thread(context.app.repository.get, task_id)
    except AggregateNotFoundError as exc:
        raise Problem(404, "No such task", detail=f"No task {task_id} for this department.") from exc


def _desk_task(task: DepartmentTask) -> None:
    if task.dispatched_to != "desk":
        where = f"the {task.dispatched_to} adapter" if task.dispatched_to else "nobody yet"
        raise Problem(409, "The task is not on the desk", detail=f"It was handed to {where}.")


async def _save(context: Gateway, task: DepartmentTask) -> None:
    try:
        await asyncio.to_thread(context.app.save, task)
    except IntegrityError as exc:  # another officer's claim or decision was saved first
        raise Problem(409, "The task changed meanwhile", detail="Another officer acted on it; reload it.") from exc


def _view(task: DepartmentTask) -> dict[str, Any]:
    return {
        "task": task.task,
        "status": task.status,
        "claimed_by": task.claimed_by,
        "decision": task.decision,
        "version": task.version,
    }

"""What the desk and the department's callbacks share: the decision they send, its checks,
and how a task is loaded, decided and saved."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from onestep_contracts import Licence
from onestep_runtime.problems import Problem, field_error

from ...bootstrap import Gateway
from ...domain.task import DepartmentTask


async def gateway(request: Request) -> Gateway:
    return request.app.state.gateway


Context = Annotated[Gateway, Depends(gateway)]


class LicenceNumber(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approval: str
    number: str = Field(min_length=4, max_length=60)


class DecisionBody(BaseModel):
    """approved: a licence number for each approval of the task; rejected: why;
    supplement_required: what is missing (material codes or form fields)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["approved", "rejected", "supplement_required"]
    reason: str = Field(default="", max_length=2000)
    licences: list[LicenceNumber] = []
    missing: list[str] = []


def decide(task: DepartmentTask, body: DecisionBody, decided_by: str, officer: str | None) -> str | None:
    """Checks the decision against the task (422 listing every problem) and applies it;
    returns why the task refused it, or None when taken."""
    if problems := decision_problems(task, body):
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
        "decided_by": decided_by,
    }
    return task.decide(decision, officer)


def decision_problems(task: DepartmentTask, body: DecisionBody) -> list[dict[str, Any]]:
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


async def load_task(context: Gateway, task_id: UUID) -> DepartmentTask:
    try:
        return await asyncio.to_thread(context.app.repository.get, task_id)
    except AggregateNotFoundError as exc:
        raise Problem(404, "No such task", detail=f"No task {task_id} for this department.") from exc


async def save_task(context: Gateway, task: DepartmentTask) -> None:
    try:
        await asyncio.to_thread(context.app.save, task)
    except IntegrityError as exc:  # another officer's claim or decision was saved first
        raise Problem(409, "The task changed meanwhile", detail="Another officer acted on it; reload it.") from exc


def task_view(task: DepartmentTask) -> dict[str, Any]:
    return {
        "task": task.task,
        "status": task.status,
        "claimed_by": task.claimed_by,
        "decision": task.decision,
        "version": task.version,
    }

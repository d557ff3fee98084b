"""Decisions coming back from a department's own system (`http` adapter): a signed POST per
task. A bad or stale signature is refused (401), an unknown task is 404, a task decided or
cancelled already is 409; a repeated callback changes nothing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import Field, ValidationError

from onestep_contracts.signing import SIGNATURE_HEADER
from onestep_runtime.problems import Problem, field_error

from .decisions import Context, DecisionBody, decide, load_task, save_task, task_view

router = APIRouter(tags=["department callbacks"])


class CallbackDecision(DecisionBody):
    decided_by: str = Field(min_length=1, max_length=200, description="who decided, in the department")


@router.post(
    "/callbacks/{task_id}",
    summary="The department's system sends its decision",
    description=f"Body: a CallbackDecision as JSON; header `{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex "
    "HMAC-SHA256(secret, '<t>.' + body)>` with the secret shared with onestep; older than five minutes is refused.",
)
async def callback(task_id: UUID, request: Request, context: Context) -> dict[str, Any]:
    verify = getattr(context.adapter, "verify", None)
    if verify is None:
        raise Problem(404, "This gateway takes no callbacks", detail=f"Its adapter is {context.adapter.name}.")
    body = await request.body()  # held to the gateway's BODY_BYTES (BodyLimit) before its signature is checked
    if not verify(body, request.headers.get(SIGNATURE_HEADER, "")):
        raise Problem(
            401, "The signature is not valid", detail=f"Sign the body in {SIGNATURE_HEADER}; see the description."
        )
    try:
        decision = CallbackDecision.model_validate_json(body)
    except ValidationError as exc:
        errors = [field_error("#/" + "/".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        raise Problem(422, "The decision is not valid", errors=errors) from exc
    task = await load_task(context, task_id)
    if task.status == "received":
        # The hand-over's answer was lost (a timeout) but the department has the task: it says so.
        task.dispatch(context.adapter.name)
    if task.dispatched_to != context.adapter.name:
        raise Problem(409, "The task was not handed to the department's system", detail=f"status: {task.status}")
    refusal = decide(task, decision, decision.decided_by, None)
    await save_task(context, task)
    if refusal:
        raise Problem(409, "The task cannot be decided", detail=refusal)
    context.relay.wake()
    return task_view(task)

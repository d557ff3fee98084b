"""A reference department system: what a department's own system looks like to onestep's
`http` adapter. It takes signed tasks (one per Idempotency-Key however often they are
delivered), decides each after a delay and calls back, signed, to the gateway. It can be
told to be down, to decide slowly or to answer slowly (`POST /control`), for tests and
demonstrations.

    python -m onestep_local.department_system --port 8110 --secret <shared secret> --delay-s 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from tenacity import AsyncRetrying, RetryError, stop_after_attempt, wait_exponential_jitter

from onestep_contracts.signing import SIGNATURE_HEADER, sign, verify


class Control(BaseModel):
    down: bool | None = None
    delay_s: float | None = None
    stall_s: float | None = None


@dataclass
class Department:
    secret: str
    delay_s: float
    down: bool = False
    stall_s: float = 0.0  # how long it takes to answer a task (longer than the gateway waits: a timeout)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: list[str] = field(default_factory=list)  # every delivery, repeats included
    refused_while_down: int = 0
    callbacks_lost: int = 0  # decisions whose callback it stopped retrying (the gateway was away)

    def summary(self) -> dict[str, Any]:
        return {
            "down": self.down,
            "delay_s": self.delay_s,
            "stall_s": self.stall_s,
            "tasks": len(self.tasks),
            "deliveries": len(self.deliveries),
            "refused_while_down": self.refused_while_down,
            "callbacks_lost": self.callbacks_lost,
            "by_status": {
                s: sum(t["status"] == s for t in self.tasks.values()) for s in ("reviewing", "decided", "cancelled")
            },
        }


def create_app(secret: str, *, delay_s: float = 1.0) -> FastAPI:
    department = Department(secret, delay_s)
    app = FastAPI(title="reference department system")
    app.state.department = department
    client = httpx.AsyncClient(timeout=10)

    def signed(body: bytes, request: Request) -> bool:
        return verify(secret, body, request.headers.get(SIGNATURE_HEADER, ""))

    @app.post("/tasks", status_code=202)
    async def take(request: Request) -> Response:
        if department.down:
            department.refused_while_down += 1
            return JSONResponse({"detail": "down for maintenance"}, status_code=503)
        await asyncio.sleep(department.stall_s)
        body = await request.body()
        if not signed(body, request):
            return JSONResponse({"detail": "bad signature"}, status_code=401)
        key = request.headers.get("Idempotency-Key", "")
        department.deliveries.append(key)
        if key not in department.tasks:
            department.tasks[key] = {"task": json.loads(body), "status": "reviewing", "decision": None}
            asyncio.get_running_loop().create_task(decide_later(key, request.headers.get("Onestep-Callback", "")))
        record = department.tasks[key]
        # A task delivered again after it was decided (the gateway missed the answer): the
        # decision goes back in the answer, so the gateway has it whatever became of the callback.
        return JSONResponse({"task_id": key, "status": record["status"], **(record["decision"] or {})}, status_code=202)

    async def decide_later(key: str, callback: str) -> None:
        await asyncio.sleep(department.delay_s)
        record = department.tasks[key]
        if record["status"] != "reviewing":
            return
        task = record["task"]
        decision = {
            "outcome": "approved",
            "reason": "reviewed by the department's system",
            "licences": [{"approval": a, "number": f"REF{task['region']}{key[:8].upper()}"} for a in task["approvals"]],
            "decided_by": "reference department system",
        }
        record.update(status="decided", decision=decision)
        body = json.dumps(decision).encode()
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(5), wait=wait_exponential_jitter(multiplier=0.2, jitter=0.2, max=5)
            ):
                with attempt:
                    answer = await client.post(callback, content=body, headers={SIGNATURE_HEADER: sign(secret, body)})
                    if answer.status_code >= 500:
                        answer.raise_for_status()
                    record["callback_status"] = answer.status_code
        except RetryError:  # like many real systems it gives up: the gateway finds the decision by polling
            department.callbacks_lost += 1

    @app.get("/tasks/{task_id}")
    async def status(task_id: str) -> Response:
        record = department.tasks.get(task_id)
        if record is None:
            return JSONResponse({"detail": "no such task"}, status_code=404)
        return JSONResponse(
            {
                "task_id": task_id,
                "status": record["status"],
                "decision": record["decision"],
                "deliveries": department.deliveries.count(task_id),  # more than one: the same task again
            }
        )

    @app.post("/tasks/{task_id}/cancellation")
    async def cancel(task_id: str, request: Request) -> Response:
        if not signed(await request.body(), request):
            return JSONResponse({"detail": "bad signature"}, status_code=401)
        record = department.tasks.get(task_id)
        if record is None:
            return JSONResponse({"detail": "no such task"}, status_code=404)
        if record["status"] == "reviewing":
            record["status"] = "cancelled"
        return JSONResponse({"task_id": task_id, "status": record["status"]})

    @app.get("/healthz")
    @app.get("/readyz")
    async def alive() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/control")
    async def show() -> dict[str, Any]:
        return department.summary()

    @app.post("/control")
    async def control(change: Control) -> dict[str, Any]:
        """For tests and demonstrations only: be down, or take longer."""
        if change.down is not None:
            department.down = change.down
        if change.delay_s is not None:
            department.delay_s = change.delay_s
        if change.stall_s is not None:
            department.stall_s = change.stall_s
        return department.summary()

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="onestep-department-system", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--delay-s", type=float, default=5.0)
    args = parser.parse_args()
    uvicorn.run(create_app(args.secret, delay_s=args.delay_s), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()

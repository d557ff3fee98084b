"""A department's gateway: takes its tasks from submitted applications, lets its adapter
decide, and publishes the decision."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter

from onestep_contracts import (
    ApplicationSubmitted,
    DepartmentDecided,
    Envelope,
    TaskCancelled,
    TaskOpened,
    deterministic_id,
    envelope,
    task_id_for,
    topics,
)
from onestep_contracts.adapters import Decision, DepartmentAdapter, Task
from onestep_runtime.kafka import publish

from .domain.tasks import route_step_for

TASKS = Counter("onestep_gateway_tasks_total", "Tasks received", ["department"])
CANCELLED = Counter("onestep_gateway_tasks_cancelled_total", "Tasks cancelled by the case", ["department"])
DECISIONS = Counter("onestep_gateway_decisions_total", "Decisions published", ["department", "outcome"])


class DepartmentGateway:
    def __init__(self, department: str, adapter: DepartmentAdapter, producer: AIOKafkaProducer):
        self.department = department
        self.adapter = adapter
        self._producer = producer
        self._source = f"onestep/department-gateway/{department}"

    def task_for(self, event: ApplicationSubmitted | TaskOpened) -> Task | None:
        """This department's task in the event: a first task with nothing to wait for comes with
        the application; a task that waited for licences, or a new round, comes from the ledger."""
        if isinstance(event, TaskOpened):
            if event.department != self.department:
                return None
            return Task(**event.model_dump(exclude={"case_id", "opened_at"}), case_id=str(event.case_id))
        step = route_step_for([step.model_dump() for step in event.route], self.department)
        if step is None or step["needs"]:
            return None
        return Task(
            task_id=task_id_for(event.case_id, self.department),
            case_id=str(event.case_id),
            department=self.department,
            item=event.item,
            item_version=event.item_version,
            region=event.region,
            accepted_region=event.accepted_region,
            form=event.form,
            materials=event.materials,
            approvals=step["approvals"],
            due_at=step["due_at"],
        )

    async def handle(self, envelopes: list[Envelope]) -> None:
        """Hands each of this department's tasks to the adapter; returns once every
        decision made is acknowledged by the broker."""
        deliveries = []
        for incoming in envelopes:
            if isinstance(incoming.event, TaskCancelled) and incoming.event.department == self.department:
                CANCELLED.labels(self.department).inc()
                await self.adapter.cancel(incoming.event.task_id, incoming.event.reason)
                continue
            if not isinstance(incoming.event, ApplicationSubmitted | TaskOpened):
                continue
            task = self.task_for(incoming.event)
            if task is None:
                continue
            TASKS.labels(self.department).inc()
            decision = await self.adapter.submit(task)
            if decision is not None:
                deliveries.append(await self._publish(task, decision))
        await asyncio.gather(*deliveries)

    async def _publish(self, task: Task, decision: Decision) -> asyncio.Future:
        event = DepartmentDecided(
            case_id=task.case_id,
            task_id=task.task_id,
            department=self.department,
            outcome=decision.outcome,
            reason=decision.reason,
            licences=decision.licences,
            missing=decision.missing,
            decided_by=decision.decided_by,
            decided_at=datetime.now(UTC),
        )
        DECISIONS.labels(self.department, decision.outcome).inc()
        # One decision per task: a re-handled task publishes the same event id again.
        event_id = deterministic_id(task.task_id, "decided")
        return await publish(self._producer, topics.DECISIONS, envelope(event, source=self._source, id=event_id))

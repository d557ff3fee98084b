"""Publishes what the gateway's own record says of its tasks to Kafka (outbox relay): that a
task was accepted (so the ledger knows the task reached a gateway serving its region) and the
department's decision.

A decision names the gateway, so it says the task was taken too: a task decided in the batch
that brings its receipt (an adapter that decides at once, as the task is recorded) is
published as its decision alone."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import Counter

from onestep_contracts import DepartmentDecided, IntegrationEvent, TaskAccepted, deterministic_id, envelope, topics
from onestep_runtime.kafka import RenewingProducer, publish

from ..domain.task import DECIDED, DepartmentTask, decided_among

RELAY_NAME = f"relay:{topics.DECISIONS}"
DECISIONS = Counter("onestep_gateway_decisions_total", "Decisions published", ["department", "outcome"])


class TaskPublisher:
    def __init__(self, producer: RenewingProducer, department: str, *, gateway: str, regions: list[str]):
        self._producer = producer
        self._department = department
        self._gateway = gateway
        self._regions = list(regions)
        self._source = f"onestep/department-gateway/{department}"

    async def publish_batch(self, domain_events: list[Any]) -> None:
        """Publishes each acceptance and decision of the batch; returns once the broker
        acknowledged all. A re-published event keeps its event id (one of each per task)."""
        deliveries = []
        decided = decided_among(domain_events)
        for domain_event in domain_events:
            if isinstance(domain_event, DepartmentTask.Received) and domain_event.originator_id in decided:
                continue
            published = self._contract_event(domain_event)
            if published is None:
                continue
            event, kind = published
            event_id = deterministic_id(domain_event.originator_id, kind)
            deliveries.append(
                await publish(self._producer, topics.DECISIONS, envelope(event, source=self._source, id=event_id))
            )
        await asyncio.gather(*deliveries)

    def _contract_event(self, domain_event: Any) -> tuple[IntegrationEvent, str] | None:
        task_id = str(domain_event.originator_id)
        if isinstance(domain_event, DepartmentTask.Received):
            accepted = TaskAccepted(
                case_id=domain_event.task["case_id"],
                task_id=task_id,
                department=self._department,
                gateway=self._gateway,
                regions=self._regions,
                accepted_at=domain_event.timestamp,
            )
            return accepted, f"accepted:{self._gateway}"
        if isinstance(domain_event, DECIDED):
            decision = domain_event.decision
            DECISIONS.labels(self._department, decision["outcome"]).inc()
            decided = DepartmentDecided(
                case_id=domain_event.case_id,
                task_id=task_id,
                department=self._department,
                gateway=self._gateway,
                decided_at=domain_event.timestamp,
                **decision,
            )
            return decided, "decided"
        return None

"""Publishes the department's decisions to Kafka from the gateway's own record (outbox relay)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter

from onestep_contracts import DepartmentDecided, deterministic_id, envelope, topics
from onestep_runtime.kafka import publish

from ..domain.task import DepartmentTask

RELAY_NAME = f"relay:{topics.DECISIONS}"
DECISIONS = Counter("onestep_gateway_decisions_total", "Decisions published", ["department", "outcome"])


class DecisionPublisher:
    def __init__(self, producer: AIOKafkaProducer, department: str):
        self._producer = producer
        self._department = department
        self._source = f"onestep/department-gateway/{department}"

    async def publish_batch(self, domain_events: list[Any]) -> None:
        """Publishes each decision of the batch; returns once the broker acknowledged all."""
        deliveries = []
        for decided in domain_events:
            if not isinstance(decided, DepartmentTask.Decided):
                continue
            task_id = str(decided.originator_id)
            decision = decided.decision
            event = DepartmentDecided(
                case_id=decided.case_id,
                task_id=task_id,
                department=self._department,
                decided_at=decided.timestamp,
                **decision,
            )
            # One decision per task: a re-published decision keeps its event id.
            event_id = deterministic_id(task_id, "decided")
            deliveries.append(
                await publish(self._producer, topics.DECISIONS, envelope(event, source=self._source, id=event_id))
            )
            DECISIONS.labels(self._department, decision["outcome"]).inc()
        await asyncio.gather(*deliveries)

"""Publishes case events to Kafka from the ledger's notification log (the outbox relay): the
tasks it opens or cancels to the gateways' topic, the rest to the case topic."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from prometheus_client import Counter

from onestep_contracts import TaskCancelled, TaskOpened, TaskUnroutable, envelope, topics
from onestep_runtime.kafka import RenewingProducer, publish

from . import translate

SOURCE = "onestep/case-ledger"
RELAY_NAME = f"relay:{topics.CASES}"  # the relay's stored position, whichever topic an event goes to
FOR_GATEWAYS = (TaskOpened, TaskCancelled)
PUBLISHED = Counter("onestep_ledger_case_events_published_total", "Case events published, by type", ["type"])

log = logging.getLogger(__name__)


class CaseEventPublisher:
    def __init__(self, producer: RenewingProducer):
        self._producer = producer

    async def publish_batch(self, domain_events: list[Any]) -> None:
        """Publishes the batch and returns once the broker acknowledged all of it."""
        deliveries = []
        for domain_event in domain_events:
            for event in translate.contract_events(domain_event):
                case_envelope = envelope(
                    event, source=SOURCE, id=translate.case_event_id(domain_event), time=domain_event.timestamp
                )
                topic = topics.TASKS if isinstance(event, FOR_GATEWAYS) else topics.CASES
                deliveries.append(await publish(self._producer, topic, case_envelope))
                PUBLISHED.labels(event.TYPE).inc()
                if isinstance(event, TaskUnroutable):  # an operator must deploy or fix a gateway
                    log.warning(
                        "task %s of %s is unroutable: no gateway accepted it (region %s)",
                        event.task_id,
                        event.department,
                        event.region,
                    )
        await asyncio.gather(*deliveries)

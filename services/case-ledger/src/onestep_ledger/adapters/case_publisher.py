"""Publishes case events to Kafka from the ledger's notification log (the outbox relay)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer

from onestep_contracts import envelope, topics
from onestep_runtime.kafka import publish

from . import translate

SOURCE = "onestep/case-ledger"
RELAY_NAME = f"relay:{topics.CASES}"


class CaseEventPublisher:
    def __init__(self, producer: AIOKafkaProducer):
        self._producer = producer

    async def publish_batch(self, domain_events: list[Any]) -> None:
        """Publishes the batch and returns once the broker acknowledged all of it."""
        deliveries = []
        for domain_event in domain_events:
            for event in translate.contract_events(domain_event):
                case_envelope = envelope(
                    event, source=SOURCE, id=translate.case_event_id(domain_event), time=domain_event.timestamp
                )
                deliveries.append(await publish(self._producer, topics.CASES, case_envelope))
        await asyncio.gather(*deliveries)

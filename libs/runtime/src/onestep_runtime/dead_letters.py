"""The dead-letter topic: a message that cannot be handled goes there with its reason."""

from __future__ import annotations

import logging

from aiokafka.structs import ConsumerRecord
from prometheus_client import Counter

from onestep_contracts import topics

from .kafka import RenewingProducer

log = logging.getLogger(__name__)

DEAD_LETTERS = Counter("onestep_dead_letters_total", "Messages sent to the dead-letter topic", ["service", "topic"])


class DeadLetters:
    """Parks undecodable or unprocessable messages, keeping the original bytes and headers."""

    def __init__(self, producer: RenewingProducer, *, service: str):
        self._producer = producer
        self._service = service

    async def park(self, record: ConsumerRecord, reason: str) -> None:
        headers = [
            *list(record.headers or ()),
            ("dlq_reason", reason.encode()[:4000]),
            ("dlq_service", self._service.encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
        ]
        await self._producer.send_and_wait(topics.DEAD_LETTERS, value=record.value, key=record.key, headers=headers)
        DEAD_LETTERS.labels(self._service, record.topic).inc()
        log.warning("dead-lettered %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)

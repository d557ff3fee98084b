"""Publishes application events to Kafka and says whether the broker acknowledged them."""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaError

from onestep_contracts import Envelope, topics
from onestep_runtime.kafka import RenewingProducer, publish


class PublishFailed(Exception):
    """The broker did not acknowledge in time; the caller must not report success."""


class ApplicationPublisher:
    def __init__(self, producer: RenewingProducer, *, timeout_s: float):
        self._producer = producer
        self._timeout_s = timeout_s

    async def publish(self, envelope: Envelope) -> None:
        try:
            delivery = await asyncio.wait_for(publish(self._producer, topics.APPLICATIONS, envelope), self._timeout_s)
            await asyncio.wait_for(delivery, self._timeout_s)
        except (KafkaError, TimeoutError) as exc:
            raise PublishFailed(repr(exc)) from exc

    async def reachable(self) -> tuple[bool, str]:
        try:
            partitions = await asyncio.wait_for(self._producer.partitions_for(topics.APPLICATIONS), 2.0)
        except (KafkaError, TimeoutError) as exc:
            return False, repr(exc)
        return bool(partitions), f"{len(partitions or ())} partitions of {topics.APPLICATIONS}"

"""Wires a BatchProjection to Kafka: each poll batch applied with its position, and the
follower of the projection's own log woken when new events were stored."""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from aiokafka import TopicPartition

from .consumer import Delivery, TopicConsumer
from .dead_letters import DeadLetters
from .follower import NotificationFollower
from .kafka import RenewingProducer
from .projection import BatchProjection


def projection_consumer(
    app: BatchProjection,
    *,
    bootstrap_servers: str,
    group_id: str,
    topics: list[str],
    service: str,
    producer: RenewingProducer,
    follower: NotificationFollower,
    max_records: int,
    event_types: Collection[str] | None = None,
) -> TopicConsumer:
    async def apply(partition: TopicPartition, deliveries: list[Delivery], last_offset: int) -> bool:
        envelopes = [delivery.envelope for delivery in deliveries]
        applied = await asyncio.to_thread(app.apply_batch, partition.topic, partition.partition, envelopes, last_offset)
        follower.wake()
        return applied

    async def stored_position(partition: TopicPartition) -> int | None:
        return await asyncio.to_thread(app.stored_position, partition.topic, partition.partition)

    return TopicConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        topics=topics,
        service=service,
        handle_batch=apply,
        dead_letters=DeadLetters(producer, service=service),
        stored_position=stored_position,
        max_records=max_records,
        event_types=event_types,
    )

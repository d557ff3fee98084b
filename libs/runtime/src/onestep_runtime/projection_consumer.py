"""Wires a BatchProjection to Kafka: each poll applied with its partitions' positions in one
transaction, and the followers of the projection's own log woken when it stored new events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence

from aiokafka import TopicPartition

from onestep_contracts.envelope import Headers

from .consumer import FETCH_MAX_WAIT_MS, Batch, TopicConsumer
from .dead_letters import DeadLetters
from .follower import NotificationFollower
from .kafka import RenewingProducer
from .projection import BatchProjection, PartitionBatch


def projection_consumer(
    app: BatchProjection,
    *,
    bootstrap_servers: str,
    group_id: str,
    topics: list[str],
    service: str,
    producer: RenewingProducer,
    followers: Sequence[NotificationFollower],
    max_records: int,
    event_types: Collection[str] | None = None,
    passes_over: Callable[[Headers], bool] | None = None,
    fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS,
    time_skew_ms: int | None = None,
) -> TopicConsumer:
    async def apply(batches: dict[TopicPartition, Batch]) -> list[TopicPartition]:
        by_name = {(partition.topic, partition.partition): partition for partition in batches}
        poll = [
            PartitionBatch(
                partition.topic, partition.partition, [d.envelope for d in batch.deliveries], batch.last_offset
            )
            for partition, batch in batches.items()
        ]
        applied_before = await asyncio.to_thread(app.apply_poll, poll)
        if app.poll_stored_events:  # (a gateway's polls are often case events it passes over)
            for follower in followers:
                follower.wake()
        return [by_name[name] for name in applied_before]

    async def stored_position(partition: TopicPartition) -> int | None:
        return await asyncio.to_thread(app.stored_position, partition.topic, partition.partition)

    return TopicConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        topics=topics,
        service=service,
        handle_batches=apply,
        dead_letters=DeadLetters(producer, service=service),
        stored_position=stored_position,
        max_records=max_records,
        event_types=event_types,
        passes_over=passes_over,
        fetch_max_wait_ms=fetch_max_wait_ms,
        time_skew_ms=time_skew_ms,
    )

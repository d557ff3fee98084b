"""Wires a BatchProjection to Kafka: each poll applied with its partitions' positions in one
transaction, and the followers of the projection's own log woken when it stored new events.

A consumer can hold back for followers that fall behind it (`held_back_by`): after a poll it
waits while one is more than CATCH_UP_WITHIN events behind. What it has not polled waits in
Kafka, where waiting costs nothing; what it has stored and a follower has not handed over waits
in the store, and past what the process holds in memory each event is read back and decoded
again, and the aggregates it names too (notify's dispatcher, starved of CPU under a burst, fell
thousands of events behind its consumer and read back most of what it delivered). A hold ends after
HOLD_MAX_S whatever the follower does, so a follower stuck on its peer slows the consumer
without stopping it, and the consumer polls well within Kafka's `max.poll.interval.ms`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Sequence

from aiokafka import TopicPartition

from onestep_contracts.envelope import Headers

from .consumer import FETCH_MAX_WAIT_MS, Batch, TopicConsumer
from .dead_letters import DeadLetters
from .follower import CATCH_UP_WITHIN, NotificationFollower
from .kafka import RenewingProducer
from .projection import BatchProjection, PartitionBatch

log = logging.getLogger(__name__)
HOLD_MAX_S = 30.0


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
    held_back_by: Sequence[NotificationFollower] = (),
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
        if app.poll_stored_events:  # (a gateway's polls are often other departments' applications)
            for follower in followers:
                follower.wake()
        for follower in held_back_by:
            if not await follower.caught_up(CATCH_UP_WITHIN, HOLD_MAX_S):
                log.warning(
                    "%s: %s is still %d events behind after %.0fs; consuming on",
                    service,
                    follower.name,
                    follower.behind,
                    HOLD_MAX_S,
                )
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

"""A consumer that resumes from its store commits its Kafka offsets only for ops tooling's view
of the group's lag: at most once per interval while it runs, and what it applied when it stops.
Against the real broker, with the consume loop every service runs."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from onestep_contracts import topics
from onestep_runtime.consumer import TopicConsumer
from onestep_runtime.dead_letters import DeadLetters
from onestep_runtime.kafka import make_producer, topic_partitions

from ..kafka_probe import publish
from ..scenarios import submitted_envelope


async def ends(bootstrap_servers: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers)
    await consumer.start()
    try:
        return await consumer.end_offsets(await topic_partitions(bootstrap_servers, topics.APPLICATIONS))
    finally:
        await consumer.stop()


async def committed(bootstrap_servers: str, group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        return {tp: meta.offset for tp, meta in (await admin.list_consumer_group_offsets(group)).items()}
    finally:
        await admin.close()


async def eventually(condition, timeout_s: float = 30.0) -> None:
    """Waits until `await condition()` is true."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)


def test_offsets_are_committed_once_per_interval_and_on_stopping(kafka):
    servers = kafka.bootstrap_servers
    group = f"commits-{uuid.uuid4().hex[:8]}"

    async def scenario() -> None:
        start = await ends(servers)
        applied: list[str] = []

        async def handle(batches):
            applied.extend(d.envelope.id for batch in batches.values() for d in batch.deliveries)

        async def from_start_of_test(partition: TopicPartition) -> int | None:
            return start[partition] - 1 if start[partition] else None

        consumer = TopicConsumer(
            bootstrap_servers=servers,
            group_id=group,
            topics=[topics.APPLICATIONS],
            service="commits-test",
            handle_batches=handle,
            dead_letters=DeadLetters(make_producer(servers, client_id="commits-test"), service="commits-test"),
            stored_position=from_start_of_test,
            commit_interval_s=3600,  # after the first commit, none until it stops
        )
        running = asyncio.create_task(consumer.run())

        # One record, one poll: its offset is committed at once, the interval starting then.
        await asyncio.to_thread(publish, servers, topics.APPLICATIONS, [submitted_envelope(uuid.uuid4(), ["x"])])
        after_first = await ends(servers)
        moved = {tp: end for tp, end in after_first.items() if end > start[tp]}

        async def first_committed() -> bool:
            return await committed(servers, group) == moved

        await eventually(first_committed)

        # More records are applied, but within the interval nothing more is committed.
        more = [submitted_envelope(uuid.uuid4(), ["x"]) for _ in range(5)]
        await asyncio.to_thread(publish, servers, topics.APPLICATIONS, more)

        async def all_applied() -> bool:
            return len(applied) == 6

        await eventually(all_applied)
        assert await committed(servers, group) == moved

        # Stopping commits what it applied.
        consumer.stop()
        await asyncio.wait_for(running, timeout=30)
        final = await ends(servers)
        assert await committed(servers, group) == {tp: end for tp, end in final.items() if end > start[tp]}

    asyncio.run(scenario())

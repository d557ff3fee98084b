"""A consumer that reads in time order does not poll a partition while it is more than the skew
ahead, by record time, of the furthest-behind partition with records waiting; without it, a
backlog is read one read-ahead of a partition after another, whatever the records' times.
Against the real broker, on two topics of one partition each, with a minute of records waiting
in both before the consumer starts."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from onestep_contracts import serialize
from onestep_ledger.bootstrap import bootstrap as ledger_bootstrap
from onestep_ledger.settings import LedgerSettings
from onestep_runtime.consumer import TopicConsumer
from onestep_runtime.dead_letters import DeadLetters
from onestep_runtime.kafka import make_producer

from ..scenarios import submitted_envelope

RECORDS = 600  # per topic, one every STEP_MS of record time
STEP_MS = 100
SKEW_MS = 1000
MAX_RECORDS = 20  # per poll: two seconds of record time


async def backlog(servers: str) -> list[str]:
    """Two new topics, each holding the same minute of records."""
    names = [f"time-order-{uuid.uuid4().hex[:8]}-{n}" for n in (1, 2)]
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1) for name in names])
    finally:
        await admin.close()
    producer = make_producer(servers, client_id="time-order-test")
    await producer.start()
    try:
        start_ms = int(time.time() * 1000) - RECORDS * STEP_MS
        deliveries = []
        for name in names:
            for n in range(RECORDS):
                record = serialize(submitted_envelope(uuid.uuid4(), ["x"]))
                deliveries.append(
                    await producer.send(
                        name,
                        value=record.value,
                        key=record.key,
                        headers=record.headers,
                        timestamp_ms=start_ms + n * STEP_MS,
                    )
                )
        await asyncio.gather(*deliveries)
    finally:
        await producer.stop()
    return names


async def polls_of(servers: str, names: list[str], skew_ms: int | None) -> list[dict[str, list[int]]]:
    """Each poll the consumer handed over: the record times of each topic's records in it."""
    polls: list[dict[str, list[int]]] = []

    async def handle(batches):
        polls.append({tp.topic: [d.record.timestamp for d in batch.deliveries] for tp, batch in batches.items()})

    dead_letters = DeadLetters(make_producer(servers, client_id="time-order-test"), service="time-order-test")
    consumer = TopicConsumer(
        bootstrap_servers=servers,
        group_id=f"time-order-{uuid.uuid4().hex[:8]}",
        topics=names,
        service="time-order-test",
        handle_batches=handle,
        dead_letters=dead_letters,
        max_records=MAX_RECORDS,
        time_skew_ms=skew_ms,
    )
    running = asyncio.create_task(consumer.run())
    deadline = time.monotonic() + 60
    while sum(len(times) for poll in polls for times in poll.values()) < 2 * RECORDS:
        assert time.monotonic() < deadline, "the consumer did not read both topics to their end"
        await asyncio.sleep(0.1)
    consumer.stop()
    await asyncio.wait_for(running, timeout=30)
    return polls


def furthest_ahead_polled(polls: list[dict[str, list[int]]]) -> int:
    """How far ahead (ms of record time) of the other topic, while that one still had records
    waiting, a topic was read from at most: measured before each poll, from what was read so far."""
    read_to: dict[str, int] = {}
    left: dict[str, int] = {}
    furthest = 0
    for poll in polls:
        for topic in poll:
            others = [read_to[other] for other in read_to if other != topic and left[other] > 0]
            if topic in read_to and others:
                furthest = max(furthest, read_to[topic] - min(others))
        for topic, times in poll.items():
            if times:
                read_to[topic] = times[-1]
                left[topic] = left.get(topic, RECORDS) - len(times)
    return furthest


@pytest.mark.parametrize("skew_ms", [SKEW_MS, None], ids=["in time order", "as fetched"])
def test_a_partition_ahead_of_another_is_not_polled_until_it_catches_up(skew_ms, kafka):
    servers = kafka.bootstrap_servers

    async def scenario() -> int:
        names = await backlog(servers)
        return furthest_ahead_polled(await polls_of(servers, names, skew_ms))

    furthest = asyncio.run(scenario())
    if skew_ms is None:
        # Without it the backlog is read a read-ahead at a time: far more than the skew apart.
        assert furthest > 5 * SKEW_MS
    else:
        assert furthest <= SKEW_MS


def test_the_ledger_reads_its_topics_in_time_order_unless_told_not_to(kafka, tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap_servers)
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "ledger.db")}

    async def skew(value: str | None) -> int | None:
        if value is None:
            monkeypatch.delenv("LEDGER_TIME_SKEW_MS", raising=False)
        else:
            monkeypatch.setenv("LEDGER_TIME_SKEW_MS", value)
        ledger = ledger_bootstrap(LedgerSettings(), env=env)
        try:
            return ledger.consumer.time_order.skew_ms if ledger.consumer.time_order else None
        finally:
            await ledger.producer.stop()

    async def scenario() -> None:
        assert await skew(None) == LedgerSettings.model_fields["time_skew_ms"].default == 250
        assert await skew("1000") == 1000
        assert await skew("0") is None

    asyncio.run(scenario())

"""Kafka clients configured the one way onestep uses them."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from onestep_contracts import Envelope, serialize


def make_producer(bootstrap_servers: str, *, client_id: str, linger_ms: int = 5) -> AIOKafkaProducer:
    """An idempotent producer that waits for every in-sync replica (acks=all)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=linger_ms,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
    )


async def publish(producer: AIOKafkaProducer, topic: str, envelope: Envelope) -> asyncio.Future:
    """Queues the envelope keyed by its case; await the returned future for the broker's ack."""
    record = serialize(envelope)
    return await producer.send(topic, value=record.value, key=record.key, headers=record.headers)


async def topic_partitions(bootstrap_servers: str, topic: str) -> list[TopicPartition]:
    """The topic's partitions, as the cluster describes them (a consumer's own metadata only
    knows the topics it subscribed to)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    numbers = sorted(partition["partition"] for partition in described["partitions"])
    return [TopicPartition(topic, number) for number in numbers]


async def read_to_end(bootstrap_servers: str, topic: str) -> list:
    """Every record of the topic up to its end when asked, read without a consumer group
    (nothing is committed, and no group has to form first)."""
    partitions = await topic_partitions(bootstrap_servers, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records = []
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            for partition, batch in (await consumer.getmany(timeout_ms=1000)).items():
                records.extend(record for record in batch if record.offset < ends[partition])
        return records
    finally:
        await consumer.stop()


async def start_with_retry(client, *, name: str, log, delay_s: float = 2.0) -> None:
    """Starts a Kafka client, retrying while the broker is not reachable yet."""
    while True:
        try:
            await client.start()
            return
        except Exception as exc:  # aiokafka raises KafkaConnectionError and friends
            log.warning("%s cannot reach Kafka yet (%s); retrying in %.0fs", name, exc, delay_s)
            await asyncio.sleep(delay_s)

"""Reading topics directly, to check what did and did not reach Kafka."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from onestep_contracts import Envelope, deserialize, serialize
from onestep_runtime.kafka import read_to_end, topic_partitions


def end_offsets(bootstrap_servers: str, topic: str) -> dict[int, int]:
    async def read() -> dict[int, int]:
        partitions = await topic_partitions(bootstrap_servers, topic)
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=f"probe-{uuid.uuid4()}")
        await consumer.start()
        try:
            offsets = await consumer.end_offsets(partitions)
            return {tp.partition: offset for tp, offset in offsets.items()}
        finally:
            await consumer.stop()

    return asyncio.run(read())


def read_all(bootstrap_servers: str, topic: str, keys: set[str] | None = None) -> list[tuple[dict, Envelope | None]]:
    """Every record of the topic so far (of those keyed by one of `keys`, the case ids, if given):
    (headers, envelope or None if undecodable). Records of other keys are not decoded: the broker
    keeps every earlier test's, and a probe that decodes them all takes the test's own services'
    time."""
    wanted = {key.encode() for key in keys} if keys is not None else None
    out = []
    for record in asyncio.run(read_to_end(bootstrap_servers, topic)):
        if wanted is not None and record.key not in wanted:
            continue
        try:
            decoded = deserialize(record.headers, record.value, record.key)
        except Exception:
            decoded = None
        out.append((dict(record.headers), decoded))
    return out


def publish(bootstrap_servers: str, topic: str, envelopes: list[Envelope], *, raw: list[tuple] = ()) -> None:
    """Publishes envelopes (and raw (key, value, headers) records) and waits for the broker's ack."""

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for item in envelopes:
                record = serialize(item)
                await producer.send_and_wait(topic, record.value, key=record.key, headers=record.headers)
            for key, value, headers in raw:
                await producer.send_and_wait(topic, value, key=key, headers=headers)
        finally:
            await producer.stop()

    asyncio.run(send())

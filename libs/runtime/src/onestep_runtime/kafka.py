"""Kafka clients configured the one way onestep uses them."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer

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


async def start_with_retry(client, *, name: str, log, delay_s: float = 2.0) -> None:
    """Starts a Kafka client, retrying while the broker is not reachable yet."""
    while True:
        try:
            await client.start()
            return
        except Exception as exc:  # aiokafka raises KafkaConnectionError and friends
            log.warning("%s cannot reach Kafka yet (%s); retrying in %.0fs", name, exc, delay_s)
            await asyncio.sleep(delay_s)

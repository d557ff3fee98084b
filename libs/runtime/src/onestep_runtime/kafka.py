"""Kafka clients configured the one way onestep uses them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import InvalidProducerEpoch, OutOfOrderSequenceNumber, ProducerFenced, UnknownProducerId

from onestep_contracts import Envelope, serialize

from .partitioner import key_partitioner

# The broker no longer accepts the producer's sequence (after an outage, batches that timed out
# left a gap): this producer will never write again, a new one (a new producer id) will.
LOST_PRODUCER_STATE = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch, ProducerFenced)


def make_producer(bootstrap_servers: str, *, client_id: str, linger_ms: int = 5) -> RenewingProducer:
    """An idempotent producer that waits for every in-sync replica (acks=all), and renews
    itself when the broker has lost its state. Records go to their key's partition as with
    any Kafka client, hashed faster (`partitioner`)."""

    def new() -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=linger_ms,
            partitioner=key_partitioner,
            request_timeout_ms=10_000,
            retry_backoff_ms=200,
        )

    return RenewingProducer(new)


class RenewingProducer:
    """What onestep's services send with: an AIOKafkaProducer that is replaced by a new one
    when a send fails because the broker lost the producer's state (LOST_PRODUCER_STATE).
    The failed send still fails (its caller retries it, or answers 503); the next goes out on
    the new producer. Consumers drop a record sent twice across the change by its event id."""

    def __init__(self, new: Callable[[], AIOKafkaProducer]):
        self._new = new
        self._producer = new()
        self._lost = False
        self._renewing = asyncio.Lock()

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def partitions_for(self, topic: str):
        return await self._producer.partitions_for(topic)

    async def send(self, topic: str, **record) -> asyncio.Future:
        """Queues the record; await the returned future for the broker's acknowledgement."""
        await self._renew_if_lost()
        try:
            delivery = await self._producer.send(topic, **record)
        except LOST_PRODUCER_STATE:
            self._lost = True
            raise
        delivery.add_done_callback(self._watch)
        return delivery

    async def send_and_wait(self, topic: str, **record):
        return await (await self.send(topic, **record))

    def _watch(self, delivery: asyncio.Future) -> None:
        if not delivery.cancelled() and isinstance(delivery.exception(), LOST_PRODUCER_STATE):
            self._lost = True

    async def _renew_if_lost(self) -> None:
        if not self._lost:
            return
        async with self._renewing:
            if not self._lost:
                return
            renewed = self._new()
            await renewed.start()  # fails while the broker is down: renewed on a later send
            lost, self._producer, self._lost = self._producer, renewed, False
            with contextlib.suppress(Exception):
                await lost.stop()
            log.warning("the broker lost this producer's state; sending with a new producer")


log = logging.getLogger(__name__)


async def publish(producer: RenewingProducer, topic: str, envelope: Envelope) -> asyncio.Future:
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

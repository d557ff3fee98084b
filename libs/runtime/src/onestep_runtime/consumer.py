"""The consume loop every onestep consumer runs.

Per poll: decode each record (undecodable → dead-letter topic), hand the decoded records of
every partition to the service at once, each partition's with its last offset, then commit. Services that store
their position with their own writes (tracking records) pass `stored_position`, and the
consumer seeks to it on every partition assignment, so the store, not Kafka's committed
offset, says where to resume. Their committed offsets are then only what ops tooling reads as
the group's lag, and are committed at most once a second (and on stopping), not per poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord
from eventsourcing.persistence import InterfaceError, OperationalError
from prometheus_client import Counter, Gauge
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from onestep_contracts import ContractError, Envelope, deserialize
from onestep_contracts.envelope import Headers, header
from onestep_contracts.events import EVENT_TYPES

from .dead_letters import DeadLetters
from .kafka import start_with_retry
from .time_order import TimeOrder

log = logging.getLogger(__name__)

CONSUMED = Counter("onestep_consumed_total", "Records consumed", ["service", "topic"])
PARTITIONS = Gauge("onestep_consumer_partitions", "Partitions this instance consumes now", ["service"])
RETRIED_BATCHES = Counter("onestep_batch_retries_total", "Batches retried after a transient failure", ["service"])


# The client retries a commit for as long as the broker is away. A commit is only what the
# group's lag is read from (or, for a consumer without stored positions, where it resumes, and
# the batch's events keep their ids), so it is given up after this long rather than holding up
# the loop or a stop.
COMMIT_TIMEOUT_S = 5.0

# What a consumer reads ahead per partition: a quarter of the client's default, so that a
# backlog on a dozen partitions holds a few MB in memory, still several polls' worth.
PARTITION_FETCH_BYTES = 256 * 1024


# How long the broker holds a consumer's fetch for more records, unless the service says
# otherwise (each service's settings: `fetch_max_wait_ms`). See FetchSettings.
FETCH_MAX_WAIT_MS = 50


def fetch_max_wait_field(default: int, why: str) -> Any:
    """A service's `fetch_max_wait_ms` setting, with its default and the reason for it."""
    return Field(
        default=default,
        ge=0,
        le=5_000,
        description=f"longest the broker holds this consumer's fetch for more records ({why})",
    )


class FetchSettings(BaseSettings):
    """How much the broker gathers for a consumer's fetch, from ONESTEP_FETCH_* environment
    variables.

    By the client's default the broker answers as soon as it has one record, so under a steady
    load a consumer applies polls of a record or two, and every poll costs a transaction, a wake
    of the followers and their reads whatever it holds (docs/performance-history.md has the figures).
    Held until it has `min_bytes` or the consumer's wait has passed (`fetch_max_wait_ms`), a
    fetch gathers what arrived meanwhile. The wait must outlast a poll's processing to have any
    effect, and each consumer on a case's path adds up to it to the case's latency: a service
    off that path waits longer, and spends less on polls.
    """

    model_config = SettingsConfigDict(env_prefix="ONESTEP_FETCH_")

    # A partition's worth: a backlog is answered at once, a trickle waits.
    min_bytes: int = Field(
        default=PARTITION_FETCH_BYTES, ge=1, description="what the broker waits to have before answering"
    )


class ConcurrentWrite(Exception):
    """An aggregate the batch changed was saved elsewhere meanwhile (e.g. by a timer); applying
    the batch again starts from the aggregate as it now is."""


# Failures that retrying the same batch can overcome: a peer (database, broker) down, or a
# concurrent write.
TRANSIENT = (OperationalError, InterfaceError, KafkaError, OSError, asyncio.TimeoutError, ConcurrentWrite)


@dataclass(frozen=True)
class Delivery:
    """A consumed record and the envelope decoded from it."""

    record: ConsumerRecord
    envelope: Envelope


@dataclass(frozen=True)
class Batch:
    """A partition's decoded records of one poll, and the offset of its last record (which
    may be one that was passed over or parked)."""

    deliveries: list[Delivery]
    last_offset: int


# handle_batches({partition: batch}) → the partitions whose batch had already been applied
# elsewhere (the consumer re-seeks them to their stored position), or None.
BatchHandler = Callable[[dict[TopicPartition, Batch]], Awaitable[Collection[TopicPartition] | None]]
StoredPosition = Callable[[TopicPartition], Awaitable[int | None]]


def position_name(topic: str, partition: int) -> str:
    """The tracking name under which a store keeps its position in a partition."""
    return f"{topic}:{partition}"


class _SeekToStoredPositions(ConsumerRebalanceListener):
    """On assignment, moves each partition to the position its store recorded. Until then the
    partition is not `positioned`: the fetcher may already have read it from elsewhere (from
    the start, before the seek), and those records are not handled."""

    def __init__(
        self,
        seek_to_stored: Callable[[TopicPartition], Awaitable[None]],
        positioned: set[TopicPartition],
        service: str,
    ):
        self._seek_to_stored = seek_to_stored
        self._positioned = positioned
        self._service = service

    async def on_partitions_revoked(self, revoked) -> None:
        self._positioned.difference_update(revoked)
        PARTITIONS.labels(self._service).set(len(self._positioned))

    async def on_partitions_assigned(self, assigned) -> None:
        for partition in assigned:
            await self._seek_to_stored(partition)
            self._positioned.add(partition)
        PARTITIONS.labels(self._service).set(len(self._positioned))


async def _seek_to_stored(consumer: AIOKafkaConsumer, partition: TopicPartition, stored: StoredPosition) -> None:
    """An explicit offset, even for the start: seek_to_beginning is applied lazily, and a fetch
    already in flight would hand the first records over twice."""
    position = await stored(partition)
    if position is None:
        position = (await consumer.beginning_offsets([partition]))[partition] - 1
    consumer.seek(partition, position + 1)


class TopicConsumer:
    def __init__(
        self,
        *,
        bootstrap_servers: str,
        group_id: str,
        topics: list[str],
        service: str,
        handle_batches: BatchHandler,
        dead_letters: DeadLetters,
        stored_position: StoredPosition | None = None,
        max_records: int = 500,
        retry_delay_s: float = 1.0,
        event_types: Collection[str] | None = None,
        passes_over: Callable[[Headers], bool] | None = None,
        commit_interval_s: float = 1.0,
        fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS,
        time_skew_ms: int | None = None,
    ):
        """`event_types`: the types the service applies, when not all. Records of the other
        known types are passed over undecoded (a gateway has no use for a case's approval);
        a record of an unknown type is still decoded, and so parked. `passes_over`: records
        the service has no part in by their headers, passed over undecoded too (a gateway,
        another department's applications). `fetch_max_wait_ms`: see FetchSettings.
        `time_skew_ms`: how far ahead, by record time, a partition may read of the furthest
        behind with records waiting (see time_order); None reads each as it comes."""
        self._bootstrap_servers = bootstrap_servers
        self._group_id = group_id
        self._topics = topics
        self._service = service
        self._handle_batches = handle_batches
        self._dead_letters = dead_letters
        self._stored_position = stored_position
        self._max_records = max_records
        self._retry_delay_s = retry_delay_s
        self._stopping = asyncio.Event()
        self._positioned: set[TopicPartition] = set()
        self._passes_over = passes_over
        self._types_passed_over = (
            {name.encode() for name in EVENT_TYPES} - {name.encode() for name in event_types}
            if event_types is not None
            else set()
        )
        # With stored positions a commit per poll is a broker request per poll for nothing the
        # service reads back: offsets wait here until the interval has passed.
        self._commit_interval_s = commit_interval_s if stored_position else 0.0
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.time_order = TimeOrder(time_skew_ms, service) if time_skew_ms is not None else None
        self._uncommitted: dict[TopicPartition, int] = {}
        self._next_commit = 0.0
        self.running = False

    def stop(self) -> None:
        """Asks the loop to finish the batch in hand, commit and close."""
        self._stopping.set()

    def _new_consumer(self) -> AIOKafkaConsumer:
        fetch = FetchSettings()
        return AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap_servers,
            group_id=self._group_id,
            client_id=f"{self._service}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
            max_partition_fetch_bytes=PARTITION_FETCH_BYTES,
            fetch_min_bytes=fetch.min_bytes,
            fetch_max_wait_ms=self.fetch_max_wait_ms,
        )

    async def run(self) -> None:
        """Consumes until stop(); a fresh Kafka consumer each run, so a crashed loop can be restarted."""
        self._consumer = self._new_consumer()
        self._positioned.clear()
        if self.time_order:
            self.time_order.start()
        listener = (
            _SeekToStoredPositions(self._seek_to_stored, self._positioned, self._service)
            if self._stored_position
            else None
        )
        self._consumer.subscribe(self._topics, listener=listener)
        await start_with_retry(self._consumer, name=f"{self._service} consumer", log=log)
        self.running = True
        try:
            while not self._stopping.is_set():
                polled = await self._poll()
                if batches := await self._decoded(polled):
                    applied_before = await self._apply(batches)
                    for partition in applied_before if self._stored_position else ():
                        await self._seek_to_stored(partition)
                    processed = {
                        partition: batch.last_offset + 1
                        for partition, batch in batches.items()
                        if partition not in applied_before
                    }
                    self._uncommitted.update(processed)
                if self._uncommitted and asyncio.get_running_loop().time() >= self._next_commit:
                    await self._commit()
            await self._commit()  # asked to stop: what this instance applied, for the group's lag
        except TRANSIENT:
            if not self._stopping.is_set():
                raise
            # Asked to stop while a peer was failing: leave the batch unapplied and
            # uncommitted; the next owner of the partition handles it.
        finally:
            self.running = False
            await self._consumer.stop()

    async def _poll(self) -> dict[TopicPartition, list[ConsumerRecord]]:
        partitions = self.time_order.partitions_to_poll(self._consumer) if self.time_order else []
        polled = await self._consumer.getmany(*partitions, timeout_ms=300, max_records=self._max_records)
        if self.time_order:
            self.time_order.read(polled)
        return polled

    async def _seek_to_stored(self, partition: TopicPartition) -> None:
        await _seek_to_stored(self._consumer, partition, self._stored_position)
        if self.time_order:
            self.time_order.forget(partition)

    async def _commit(self) -> None:
        assigned = self._consumer.assignment()  # a partition a rebalance took away is its new owner's
        offsets = {partition: offset for partition, offset in self._uncommitted.items() if partition in assigned}
        self._uncommitted = {}
        self._next_commit = asyncio.get_running_loop().time() + self._commit_interval_s
        if not offsets:
            return
        try:
            await asyncio.wait_for(self._consumer.commit(offsets), timeout=COMMIT_TIMEOUT_S)
        except (KafkaError, TimeoutError) as exc:
            # A rebalance took the partition away, or the broker is away: the next owner resumes
            # from the store (tracked services) or re-handles the batch, whose events keep their ids.
            log.warning("%s commit skipped: %s", self._service, exc)

    async def _decoded(self, polled: dict[TopicPartition, list[ConsumerRecord]]) -> dict[TopicPartition, Batch]:
        batches = {}
        for partition, records in polled.items():
            if self._stored_position and partition not in self._positioned:
                # Read before the seek to the stored position (the listener has not run for it
                # yet, or failed): position it now; its records are read again from there.
                await self._seek_to_stored(partition)
                self._positioned.add(partition)
                continue
            CONSUMED.labels(self._service, partition.topic).inc(len(records))  # once a batch: labels() is slow
            deliveries = []
            for record in records:
                if self._types_passed_over and header(record.headers, "ce_type") in self._types_passed_over:
                    continue
                if self._passes_over is not None and self._passes_over(record.headers):
                    continue
                try:
                    deliveries.append(Delivery(record, deserialize(record.headers, record.value, record.key)))
                except ContractError as exc:
                    await self._park_retrying(record, str(exc))
            batches[partition] = Batch(deliveries, records[-1].offset)
        return batches

    async def _apply(self, batches: dict[TopicPartition, Batch]) -> set[TopicPartition]:
        """Applies the poll at once; if the service cannot apply it, each partition's batch on
        its own, and a batch it cannot apply one record at a time (isolating the poison).
        Returns the partitions whose batch had been applied already."""
        try:
            return set(await self._retrying(lambda: self._handle_batches(batches)) or ())
        except TRANSIENT:
            raise
        except Exception as exc:  # a message the service cannot apply: isolate it
            if len(batches) == 1:
                ((partition, batch),) = batches.items()
                log.warning("%s batch at %s failed (%s); applying one by one", self._service, partition, exc)
                await self._apply_one_by_one(partition, batch)
                return set()
            log.warning("%s poll failed (%s); applying each partition's batch on its own", self._service, exc)
            applied_before = set()
            for partition, batch in batches.items():
                applied_before |= await self._apply({partition: batch})
            return applied_before

    async def _apply_one_by_one(self, partition: TopicPartition, batch: Batch) -> None:
        for delivery in batch.deliveries:
            offset = delivery.record.offset
            try:
                await self._retrying(lambda d=delivery, o=offset: self._handle_batches({partition: Batch([d], o)}))
            except TRANSIENT:
                raise
            except Exception as exc:
                await self._park_retrying(delivery.record, f"cannot be applied: {exc!r}")
                await self._retrying(lambda o=offset: self._handle_batches({partition: Batch([], o)}))
        if not batch.deliveries or batch.deliveries[-1].record.offset < batch.last_offset:
            await self._retrying(lambda: self._handle_batches({partition: Batch([], batch.last_offset)}))

    async def _park_retrying(self, record: ConsumerRecord, reason: str) -> None:
        await self._retrying(lambda: self._dead_letters.park(record, reason))

    async def _retrying(self, attempt: Callable[[], Awaitable]):
        """Retries a step while a peer is failing; gives up only when asked to stop."""
        delay = self._retry_delay_s
        while True:
            try:
                return await attempt()
            except TRANSIENT as exc:
                if self._stopping.is_set():
                    raise
                RETRIED_BATCHES.labels(self._service).inc()
                log.warning("%s: transient failure (%r); retrying in %.1fs", self._service, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

"""An eventsourcing projection that applies a Kafka poll in one transaction.

The poll's new domain events and the position of each of its partitions (a tracking record
named `<topic>:<partition>` holding the last offset) are recorded together, so a crash
between "applied" and "committed" never applies a message twice or skips one.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent, Repository
from eventsourcing.domain import BaseAggregate, CanMutateProtocol
from eventsourcing.persistence import IntegrityError, Recording, Tracking
from eventsourcing.projection import EventSourcedProjection
from eventsourcing.utils import Environment, EnvType, strtobool
from prometheus_client import Counter

from onestep_contracts import Envelope

from .consumer import ConcurrentWrite, position_name
from .follower import DecodedLog
from .poll_recorders import POLL_RECORDERS

# Store settings every onestep service starts from; the environment overrides each.
STORE_DEFAULTS = {
    # AES-GCM from the `cryptography` package (C-backed, a key schedule per event is cheap);
    # it reads and writes the format of eventsourcing's pycryptodome cipher.
    "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
    # Aggregates read lately stay in memory: reading one again fetches only its newer events
    # (fast-forward, so another instance's writes are seen) instead of decrypting them all.
    # Small, because the aggregates a service writes are kept by its working set (below); the
    # cache serves reads outside it (queries, an aggregate the working set let go), and at
    # 2,000 it held the working set's cases again as copies: 20 MB of the ledger on PostgreSQL.
    "AGGREGATE_CACHE_MAXSIZE": "200",
    # The library's JSON, written by orjson (see stored_json).
    "TRANSCODER_TOPIC": "onestep_runtime.stored_json:StoredJson",
}


READ_BACK = Counter(
    "onestep_aggregates_read_back_total",
    "Aggregates a writer read back from the store, not held in its working set (or found absent)",
    ["application"],
)

# The library's store each persistence module is opened with by onestep (see sqlite_store).
STORE_FACTORIES = {"eventsourcing.sqlite": "onestep_runtime.sqlite_store:SQLiteStoreFactory"}


# The library's projector and event collector check every event against runtime-checkable
# Protocols, which Python 3.11 does slowly (about 7 % of the ledger's CPU). onestep's aggregates
# are the library's own classes, so a concrete class check says the same, quickly.


def project_aggregate(aggregate: Any, domain_events: Iterable[CanMutateProtocol]) -> Any:
    for domain_event in domain_events:
        aggregate = domain_event.mutate(aggregate)
    return aggregate


class _Repository(Repository[UUID]):
    def get(self, aggregate_id: UUID, *, projector_func: Any = project_aggregate, **options: Any) -> Any:
        return super().get(aggregate_id, projector_func=projector_func, **options)


@dataclass(frozen=True)
class PartitionBatch:
    """A partition's records of one poll: their envelopes, and the offset of the last record."""

    topic: str
    partition: int
    envelopes: list[Envelope]
    last_offset: int

    @property
    def position(self) -> Tracking:
        return Tracking(application_name=position_name(self.topic, self.partition), notification_id=self.last_offset)


class BatchProcessing(ProcessingEvent[UUID]):
    """What a batch changed, with the positions it is recorded with (all in one transaction)."""

    def __init__(
        self, tracking: Tracking | None = None, positions: Iterable[Tracking] = (), unstored: Iterable[UUID] = ()
    ):
        super().__init__(tracking)
        self.saved_kwargs["positions"] = list(positions)
        # Aggregates the store had no events of when the batch began: reading them is skipped.
        self.unstored = set(unstored)

    @property
    def positions(self) -> list[Tracking]:
        return [self.tracking, *self.saved_kwargs["positions"]] if self.tracking else self.saved_kwargs["positions"]

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            elif obj is not None:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)


class BatchProjection(EventSourcedProjection[UUID]):
    # How many aggregates this projection last wrote it keeps in memory as written, to change
    # next without a store query, a copy, or decoding its events again. Every writer takes an
    # aggregate out while it changes it (`aggregate_in_batch`, `take`) and it is put back only
    # once saved (`record_processing`, `save`), so no two threads change one object. A kept
    # aggregate that another instance has written since fails its save on the version, and the
    # write is tried again from the store.
    WORKING_SET = 0

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # The partition whose records `apply_envelope` is applying (None outside a poll): what
        # only the instance that owns a partition writes can be kept apart by it.
        self.partition: int | None = None
        # Whether the last poll applied stored events (set by `apply_poll`, which its consumer
        # calls one poll at a time): a poll that stored none has nothing for the followers.
        self.poll_stored_events = False
        self._working_set: OrderedDict[UUID, Any] = OrderedDict()
        self._working_set_lock = threading.Lock()
        # Writers read what the working set let go straight from the store, past the aggregate
        # cache: a read through it deep-copies the whole aggregate (to protect the cached object),
        # which is costly when a backlog laps the working set, and the copy it would cache is
        # the working set's job once the aggregate is saved.
        self._store_reads = _Repository(event_store=self.events, snapshot_store=self.snapshots)
        self._read_back = READ_BACK.labels(self.name)

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository, configured from the same variables, with the faster projector."""
        cache_maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return _Repository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(cache_maxsize) if cache_maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")),
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
        )

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        environment = super().construct_env(name, env)
        for key, value in STORE_DEFAULTS.items():
            if key == "CIPHER_TOPIC" and not environment.get("CIPHER_KEY"):
                continue  # no key: the store is not encrypted
            if not environment.get(key):
                environment[key] = value
        module = environment.get("PERSISTENCE_MODULE", "")
        recorder = POLL_RECORDERS.get(module)
        if recorder and not environment.get("PROCESS_RECORDER_TOPIC"):
            environment["PROCESS_RECORDER_TOPIC"] = recorder
        if module in STORE_FACTORIES:
            environment["PERSISTENCE_MODULE"] = STORE_FACTORIES[module]
        return environment

    def stored_position(self, topic: str, partition: int) -> int | None:
        return self.recorder.max_tracking_id(position_name(topic, partition))

    def apply_batch(self, topic: str, partition: int, envelopes: list[Envelope], last_offset: int) -> bool:
        """Applies one partition's envelopes; False if their position was recorded already."""
        return not self.apply_poll([PartitionBatch(topic, partition, envelopes, last_offset)])

    def apply_poll(self, batches: list[PartitionBatch]) -> set[tuple[str, int]]:
        """Applies a poll's batches and records their positions in one transaction. Returns the
        (topic, partition) of the batches whose position was recorded already (another instance
        applied them, or this one before a restart): those are not applied again."""
        applied_before: set[tuple[str, int]] = set()
        self.poll_stored_events = False
        while pending := [batch for batch in batches if (batch.topic, batch.partition) not in applied_before]:
            processing = BatchProcessing(
                positions=[batch.position for batch in pending], unstored=self._unstored(pending)
            )
            try:
                for batch in pending:
                    self.partition = batch.partition
                    for envelope in batch.envelopes:
                        self.apply_envelope(envelope, processing)
            finally:
                self.partition = None
            self.finish_batch(processing)
            recorded_before = self.record_processing(processing)
            if not recorded_before:
                self.poll_stored_events = bool(processing.events)
                break
            # The others are applied again without them, from the aggregates as stored.
            applied_before |= {_topic_partition(position) for position in recorded_before}
        return applied_before

    def aggregate_ids(self, envelope: Envelope) -> Iterable[UUID]:
        """The aggregates applying the envelope reads, where the projection can tell beforehand:
        those not stored are then found for the whole poll with one query, not a read each."""
        return ()

    def _unstored(self, batches: list[PartitionBatch]) -> set[UUID]:
        wanted = {aggregate_id for batch in batches for e in batch.envelopes for aggregate_id in self.aggregate_ids(e)}
        with self._working_set_lock:  # look each up: iterating the working set hashes all its ids
            wanted = {aggregate_id for aggregate_id in wanted if aggregate_id not in self._working_set}
        return wanted - self.stored_among(wanted) if wanted else set()

    def stored_among(self, aggregate_ids: Collection[UUID]) -> set[UUID]:
        """Which of these aggregates have events stored, in one query; a store that cannot tell
        (in memory) answers all of them, so each is read as before."""
        stored_among = getattr(self.recorder, "stored_among", None)
        return stored_among(aggregate_ids) if stored_among else set(aggregate_ids)

    def record_processing(self, processing: BatchProcessing) -> list[Tracking]:
        """Records the collected events with the positions; returns the positions that had been
        recorded already (then nothing was recorded), none when it was recorded."""
        with self.processing_lock:
            try:
                recordings = self._record(processing)
            except IntegrityError as exc:
                recorded_before = [
                    position
                    for position in processing.positions
                    if (recorded := self.recorder.max_tracking_id(position.application_name)) is not None
                    and recorded >= position.notification_id
                ]
                if recorded_before:
                    return recorded_before
                raise ConcurrentWrite(f"{processing.positions}: an aggregate was saved meanwhile") from exc
        self._keep(processing.aggregates.values())
        self._take_snapshots(processing)
        self._notify(recordings)
        return []

    def _record(self, processing: ProcessingEvent) -> list[Recording]:
        """Records as the library does (a poll's batch, or a command's `save`), and hands what
        was recorded to this process's followers, which need not read it back."""
        recordings = super()._record(processing)
        DecodedLog.remember(self, recordings)
        return recordings

    def _keep(self, aggregates: Iterable[Any]) -> None:
        if not self.WORKING_SET:
            return
        with self._working_set_lock:
            for aggregate in aggregates:
                self._working_set[aggregate.id] = aggregate
            while len(self._working_set) > self.WORKING_SET:
                self._working_set.popitem(last=False)

    def take(self, aggregate_id: UUID) -> Any | None:
        """The aggregate to change and then `save`: out of the working set until it is saved, or
        as stored; None if it does not exist."""
        with self._working_set_lock:
            kept = self._working_set.pop(aggregate_id, None)
        return kept if kept is not None else self._stored(aggregate_id)

    def peek(self, aggregate_id: UUID) -> Any | None:
        """The aggregate as last written, to read and not to change: the working set's own object
        (a writer may take it meanwhile), or as stored; None if it does not exist."""
        with self._working_set_lock:
            kept = self._working_set.get(aggregate_id)
        return kept if kept is not None else self._stored(aggregate_id)

    def _stored(self, aggregate_id: UUID) -> Any | None:
        self._read_back.inc()
        try:
            return self._store_reads.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        recordings = super().save(*objs, **kwargs)
        self._keep(obj for obj in objs if isinstance(obj, BaseAggregate))
        return recordings

    @abstractmethod
    def apply_envelope(self, envelope: Envelope, processing: ProcessingEvent[UUID]) -> None:
        """Applies one integration event, collecting new aggregate events on `processing`."""

    def finish_batch(self, processing: ProcessingEvent[UUID]) -> None:
        """Collects what the batch as a whole changes, after each envelope was applied."""

    def aggregate_in_batch(self, processing: ProcessingEvent[UUID], aggregate_id: UUID) -> Any | None:
        """The aggregate as this batch has left it so far, or as stored; None if it does not exist."""
        if aggregate_id in processing.aggregates:
            return processing.aggregates[aggregate_id]
        if isinstance(processing, BatchProcessing) and aggregate_id in processing.unstored:
            return None
        return self.take(aggregate_id)  # back in the working set once the batch is recorded

    # The projection is driven by a Kafka consumer, not by another application's log.
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        raise NotImplementedError("use apply_poll")


def _topic_partition(position: Tracking) -> tuple[str, int]:
    topic, _, partition = position.application_name.rpartition(":")
    return topic, int(partition)

"""notify's store: the delivery record of every case event, per channel."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent

from onestep_contracts import Envelope
from onestep_contracts.envelope import structured_json
from onestep_contracts.events import EVENT_TYPES
from onestep_runtime.consumer import ConcurrentWrite
from onestep_runtime.projection import BatchProcessing, BatchProjection, PartitionBatch

from .adapters.webhook import Attempt
from .domain.deliveries import CaseNotifications, delivery_key

WEBHOOK = "webhook"
T = TypeVar("T")


class Notifier(BatchProjection):
    """The consumer's batches and the dispatcher's attempts are its only writes, and they take
    turns (`_writer`), so the records they wrote stay in memory for the next."""

    WORKING_SET = 2000
    # Case events that name their portal: the ones a portal is told of.
    EVENT_TYPES = frozenset(name for name, model in EVENT_TYPES.items() if "portal" in model.model_fields)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._writer = threading.Lock()

    def apply_poll(self, batches: list[PartitionBatch]) -> set[tuple[str, int]]:
        with self._writer:
            return super().apply_poll(batches)

    def aggregate_ids(self, envelope: Envelope) -> list[UUID]:
        event = envelope.event
        return [CaseNotifications.create_id(str(event.case_id))] if getattr(event, "portal", None) else []

    def apply_envelope(self, envelope: Envelope, processing: ProcessingEvent[UUID]) -> None:
        """Records that the case event must be delivered to its portal's webhook (once)."""
        event = envelope.event
        portal = getattr(event, "portal", None)
        if portal is None:
            return
        case_id = str(event.case_id)
        record = self.aggregate_in_batch(processing, CaseNotifications.create_id(case_id))
        if record is None:
            record = CaseNotifications(case_id=case_id, portal=portal)
        record.request(envelope.id, envelope.type, WEBHOOK, portal, structured_json(envelope).decode())
        processing.collect_events(record)

    def pending(self, requested: list[Any]) -> list[Any]:
        """The requested deliveries (`DeliveryRequested`) still pending: a batch handed over again
        after a restart was delivered or parked before."""
        records = {event.originator_id: self.peek(event.originator_id) for event in requested}
        return [
            event
            for event in requested
            if (record := records[event.originator_id]) is not None
            and record.deliveries[delivery_key(event.event_id, event.channel)]["state"] == "pending"
        ]

    def record_attempts(self, finished: list[tuple[UUID, str, str, list[Attempt], str]]) -> None:
        """Saves the attempts of a batch of deliveries (record id, event id, channel, attempts,
        how a delivery they did not deliver is parked) in one transaction."""

        def attempted(processing: BatchProcessing) -> None:
            for record_id, event_id, channel, attempts, parked_as in finished:
                record = self.aggregate_in_batch(processing, record_id)
                if record is None:
                    raise AggregateNotFoundError(record_id)
                for index, attempt in enumerate(attempts):
                    last = index == len(attempts) - 1
                    record.record_attempt(event_id, channel, attempt.outcome, attempt.detail, last, parked_as)
                processing.collect_events(record)

        self._record_with_retries(attempted, f"delivery attempts of {len(finished)} deliveries")

    def redeliver(self, parked: list[dict[str, Any]]) -> list[str]:
        """Asks again for parked deliveries (rows of the parked list: case id, event id,
        channel), each with the body first requested, in one transaction; the event ids asked
        for (one no longer parked, asked for meanwhile, is passed over)."""

        def asked_again(processing: BatchProcessing) -> list[str]:
            asked, bodies = [], {}
            for row in parked:
                record_id = CaseNotifications.create_id(row["case_id"])
                record = self.aggregate_in_batch(processing, record_id)
                if record is None:
                    continue
                if record_id not in bodies:  # a case's deliveries share its record's events
                    bodies[record_id] = self._requested_bodies(record_id)
                body = bodies[record_id].get((row["event_id"], row["channel"]))
                if body is not None and record.redeliver(row["event_id"], row["channel"], body):
                    asked.append(row["event_id"])
                processing.collect_events(record)  # changed or not: back in the working set
            return asked

        return self._record_with_retries(asked_again, f"{len(parked)} deliveries asked for again")

    def _record_with_retries(self, change: Callable[[BatchProcessing], T], what: str) -> T:
        """Records what `change` collects in one transaction, taking the writers' turn; done
        again from the store if another instance saved one of the records meanwhile."""
        for _ in range(10):
            with self._writer:
                processing = BatchProcessing()
                changed = change(processing)
            try:
                self.record_processing(processing)
                return changed
            except ConcurrentWrite:
                continue
        raise ConcurrentWrite(f"could not record {what} after 10 conflicts")

    def _requested_bodies(self, record_id: UUID) -> dict[tuple[str, str], str]:
        """The bodies the record's deliveries were requested with, by event id and channel: its
        state keeps no bodies (most are delivered at once), its stored events do."""
        return {
            (stored.event_id, stored.channel): stored.body
            for stored in self.repository.event_store.get(record_id)
            if isinstance(stored, CaseNotifications.DeliveryRequested)
        }

    def deliveries_for_case(self, case_id: str, portal: str) -> list[dict[str, Any]] | None:
        try:
            record = self.repository.get(CaseNotifications.create_id(case_id))
        except AggregateNotFoundError:
            return None
        if record.portal != portal:
            return None
        return list(record.deliveries.values())

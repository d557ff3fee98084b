"""notify's store: the delivery record of every case event, per channel."""

from __future__ import annotations

import threading
from typing import Any
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
        how a delivery they did not deliver is parked) in one transaction; tried again if
        another instance saved one of the records meanwhile."""
        for _ in range(10):
            with self._writer:
                processing = BatchProcessing()
                for record_id, event_id, channel, attempts, parked_as in finished:
                    record = self.aggregate_in_batch(processing, record_id)
                    if record is None:
                        raise AggregateNotFoundError(record_id)
                    for index, attempt in enumerate(attempts):
                        last = index == len(attempts) - 1
                        record.record_attempt(event_id, channel, attempt.outcome, attempt.detail, last, parked_as)
                    processing.collect_events(record)
                try:
                    self.record_processing(processing)
                    return
                except ConcurrentWrite:
                    continue
        raise ConcurrentWrite(f"could not record delivery attempts of {len(finished)} deliveries after 10 conflicts")

    def redeliver(self, parked: list[dict[str, Any]]) -> list[str]:
        """Asks again for parked deliveries (rows of the parked list: case id, event id,
        channel), each with the body first requested, in one transaction; the event ids asked
        for (one no longer parked, asked for meanwhile, is passed over)."""
        for _ in range(10):
            with self._writer:
                processing, asked = BatchProcessing(), []
                for row in parked:
                    record_id = CaseNotifications.create_id(row["case_id"])
                    record = self.aggregate_in_batch(processing, record_id)
                    if record is None:
                        continue
                    body = self._requested_body(record_id, row["event_id"], row["channel"])
                    if body is not None and record.redeliver(row["event_id"], row["channel"], body):
                        asked.append(row["event_id"])
                    processing.collect_events(record)  # changed or not: back in the working set
                try:
                    self.record_processing(processing)
                    return asked
                except ConcurrentWrite:
                    continue
        raise ConcurrentWrite(f"could not ask again for {len(parked)} deliveries after 10 conflicts")

    def _requested_body(self, record_id: UUID, event_id: str, channel: str) -> str | None:
        """The body a delivery was requested with: its record's state keeps no bodies (most are
        delivered at once), its stored events do."""
        for stored in self.repository.event_store.get(record_id):
            if isinstance(stored, CaseNotifications.DeliveryRequested) and (stored.event_id, stored.channel) == (
                event_id,
                channel,
            ):
                return stored.body
        return None

    def deliveries_for_case(self, case_id: str, portal: str) -> list[dict[str, Any]] | None:
        try:
            record = self.repository.get(CaseNotifications.create_id(case_id))
        except AggregateNotFoundError:
            return None
        if record.portal != portal:
            return None
        return list(record.deliveries.values())

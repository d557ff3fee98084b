"""notify's store: the delivery record of every case event, per channel."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError

from onestep_contracts import Envelope
from onestep_contracts.envelope import structured_json
from onestep_contracts.events import EVENT_TYPES
from onestep_runtime.projection import BatchProjection

from .adapters.webhook import Attempt
from .domain.deliveries import CaseNotifications

WEBHOOK = "webhook"


class Notifier(BatchProjection):
    # Case events that name their portal: the ones a portal is told of.
    EVENT_TYPES = frozenset(name for name, model in EVENT_TYPES.items() if "portal" in model.model_fields)

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

    def record(self, record_id: UUID) -> CaseNotifications:
        return self.repository.get(record_id)

    def record_attempts(self, finished: list[tuple[UUID, str, str, list[Attempt]]]) -> None:
        """Saves the attempts of a batch of deliveries (record id, event id, channel, attempts)
        in one transaction; tried again if the consumer saved one of the records meanwhile."""
        for _ in range(10):
            records: dict[UUID, CaseNotifications] = {}
            for record_id, event_id, channel, attempts in finished:
                if record_id not in records:
                    records[record_id] = self.repository.get(record_id)
                for index, attempt in enumerate(attempts):
                    last = index == len(attempts) - 1
                    records[record_id].record_attempt(event_id, channel, attempt.outcome, attempt.detail, last)
            try:
                self.save(*records.values())
                return
            except IntegrityError:
                continue
        raise IntegrityError(f"could not record delivery attempts of {len(records)} records after 10 conflicts")

    def deliveries_for_case(self, case_id: str, portal: str) -> list[dict[str, Any]] | None:
        try:
            record = self.repository.get(CaseNotifications.create_id(case_id))
        except AggregateNotFoundError:
            return None
        if record.portal != portal:
            return None
        return list(record.deliveries.values())

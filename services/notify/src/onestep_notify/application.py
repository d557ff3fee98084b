"""notify's store: the delivery record of every case event, per channel."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError

from onestep_contracts import Envelope
from onestep_contracts.envelope import structured_json
from onestep_runtime.projection import BatchProjection

from .adapters.webhook import Attempt
from .domain.deliveries import CaseNotifications

WEBHOOK = "webhook"


class Notifier(BatchProjection):
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

    def record_attempts(self, record_id: UUID, event_id: str, channel: str, attempts: list[Attempt]) -> None:
        """Saves the attempts; retried if the consumer saved the same record meanwhile."""
        for _ in range(10):
            record = self.repository.get(record_id)
            for index, attempt in enumerate(attempts):
                record.record_attempt(event_id, channel, attempt.outcome, attempt.detail, index == len(attempts) - 1)
            try:
                self.save(record)
                return
            except IntegrityError:
                continue
        raise IntegrityError(f"could not record delivery attempts for {record_id} after 10 conflicts")

    def deliveries_for_case(self, case_id: str, portal: str) -> list[dict[str, Any]] | None:
        try:
            record = self.repository.get(CaseNotifications.create_id(case_id))
        except AggregateNotFoundError:
            return None
        if record.portal != portal:
            return None
        return list(record.deliveries.values())

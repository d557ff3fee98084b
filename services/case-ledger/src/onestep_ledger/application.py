"""The case ledger: an event-sourced projection of application and decision events."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent

from onestep_contracts import (
    ApplicationSubmitted,
    DepartmentDecided,
    Envelope,
    SupplementProvided,
    WithdrawalRequested,
)
from onestep_contracts.calendar import WorkingCalendar
from onestep_runtime.projection import BatchProjection

from .adapters import translate
from .domain.case import Case


class CaseNotFound(Exception):
    pass


class CaseLedger(BatchProjection):
    def __init__(self, *args: Any, calendar: WorkingCalendar, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.calendar = calendar

    def apply_envelope(self, envelope: Envelope, processing: ProcessingEvent[UUID]) -> None:
        event = envelope.event
        case: Case | None = self.aggregate_in_batch(processing, event.case_id)
        if isinstance(event, ApplicationSubmitted):
            application = translate.application_values(event)
            if case is None:
                case = Case.open(event.case_id, application, envelope.id)
            else:
                case.file(application, envelope.id, self.calendar)
        elif isinstance(event, DepartmentDecided):
            decision = translate.event_values(event)
            if case is None:
                case = Case.await_application(event.case_id, decision, envelope.id)
            else:
                case.record_decision(decision, envelope.id, self.calendar)
        elif isinstance(event, SupplementProvided) and case is not None:
            case.supply(translate.event_values(event), envelope.id, self.calendar)
        elif isinstance(event, WithdrawalRequested) and case is not None:
            case.withdraw(translate.event_values(event), envelope.id)
        else:
            # Case events, and answers about a case this ledger has never seen (a portal's
            # mistake; the case id names nothing): nothing to apply.
            return
        processing.collect_events(case)

    # -- queries (a portal sees only its own cases) -------------------------------------

    def case_for_portal(self, case_id: UUID, portal: str) -> Case:
        case = self._get_case(case_id)
        if case.portal != portal:
            raise CaseNotFound(case_id)
        return case

    def timeline(self, case_id: UUID, portal: str) -> list[Any]:
        self.case_for_portal(case_id, portal)
        return list(self.repository.event_store.get(case_id))

    def _get_case(self, case_id: UUID) -> Case:
        try:
            return self.repository.get(case_id)
        except AggregateNotFoundError as exc:
            raise CaseNotFound(case_id) from exc

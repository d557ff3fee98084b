"""The case ledger: an event-sourced projection of application and decision events."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError, Tracking

from onestep_contracts import (
    ApplicationSubmitted,
    DepartmentDecided,
    Envelope,
    SupplementProvided,
    TaskAccepted,
    WithdrawalRequested,
)
from onestep_runtime.projection import BatchProcessing, BatchProjection, PartitionBatch

from .adapters import translate
from .domain.case import Case
from .domain.case_rules import FINAL_STATES, Timing
from .domain.deadlines import Deadlines, earliest, minute_of

# What a case is folded from (the topics also carry case events, which it does not apply).
CASE_INPUTS = (ApplicationSubmitted, DepartmentDecided, TaskAccepted, SupplementProvided, WithdrawalRequested)
SWEEP = "deadlines"  # the tracking name of the last minute whose timers were fired


class CaseNotFound(Exception):
    pass


def utc_now() -> datetime:
    return datetime.now(UTC)


class CaseLedger(BatchProjection):
    """Cases folded from the application and decision topics, and their timers fired by the
    clock. Both write cases, so they take turns (`_writer`): a case is never saved from two
    places at once, and a timer set while a batch is applied is never in a minute already swept."""

    WORKING_SET = 2000  # every write is a batch under `_writer`

    def __init__(self, *args: Any, timing: Timing, clock: Callable[[], datetime] = utc_now, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.timing = timing
        self.calendar = timing.calendar
        self.clock = clock
        self._writer = threading.Lock()
        self._new_wake_ups: dict[tuple[int, int], list[dict[str, Any]]] = {}  # (minute, shard) → wake-ups
        # The minute of each case's earliest timer as this ledger last changed it, at that
        # version: what its next change compares with, not worked out again (working a case's
        # timers out before and after each event was about a tenth of the ledger's CPU); and
        # the minute of the last wake-up it indexed for the case.
        self._earliest_seen: OrderedDict[UUID, tuple[int, int | None, int | None]] = OrderedDict()
        self._start_sweeping()

    def apply_poll(self, batches: list[PartitionBatch]) -> set[tuple[str, int]]:
        with self._writer:
            self._new_wake_ups = {}
            return super().apply_poll(batches)

    def aggregate_ids(self, envelope: Envelope) -> list[UUID]:
        return [envelope.event.case_id] if isinstance(envelope.event, CASE_INPUTS) else []

    def apply_envelope(self, envelope: Envelope, processing: ProcessingEvent[UUID]) -> None:
        event = envelope.event
        case: Case | None = self.aggregate_in_batch(processing, event.case_id)
        earliest_before = self._earliest_timer(case)
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
        elif isinstance(event, TaskAccepted):
            acceptance = translate.event_values(event)
            if case is None:
                case = Case.await_application_accepted(event.case_id, acceptance, envelope.id)
            else:
                case.acknowledge(acceptance, envelope.id)
        elif isinstance(event, SupplementProvided) and case is not None:
            case.supply(translate.event_values(event), envelope.id, self.calendar)
        elif isinstance(event, WithdrawalRequested) and case is not None:
            case.withdraw(translate.event_values(event), envelope.id)
        else:
            # Case events, and answers about a case this ledger has never seen (a portal's
            # mistake; the case id names nothing): nothing to apply.
            return
        processing.collect_events(case)
        self._schedule_wake_up(case, earliest_before)

    def finish_batch(self, processing: ProcessingEvent[UUID]) -> None:
        """The batch's wake-ups go to their minutes' deadline index, in the same transaction."""
        new_wake_ups, self._new_wake_ups = self._new_wake_ups, {}  # a batch applied again makes them anew
        for (minute, shard), wake_ups in sorted(new_wake_ups.items()):
            index_id = Deadlines.create_id(minute, shard)
            deadlines = self.aggregate_in_batch(processing, index_id) or Deadlines(minute, shard)
            deadlines.schedule(wake_ups)
            processing.collect_events(deadlines)

    # -- the clock ----------------------------------------------------------------------

    def sweep(self, until: datetime, max_minutes: int = 24 * 60) -> int:
        """Wakes the cases indexed in every minute that ended by `until` and was not swept yet (at
        most `max_minutes` of them); each minute with wake-ups is recorded with its position in
        one transaction. Returns how many case events the timers made."""
        with self._writer:
            swept = self.swept_until()
            last = min(minute_of(until) - 1, swept + max_minutes)
            made = 0
            for minute in range(swept + 1, last + 1):
                if wake_ups := self.wake_ups(minute):
                    made += self._fire(minute, wake_ups)
            if last > self.swept_until():
                self._record_swept(last)
            return made

    def wake_ups(self, minute: int) -> list[dict[str, Any]]:
        """The minute's wake-ups, read once from the stored events of each of its shards (one
        query tells which shards the minute has: a few of its 66)."""
        ids = Deadlines.ids_of(minute)
        stored = self.stored_among(ids)
        get = self.repository.event_store.get
        return [timer for shard in ids if shard in stored for timer in Deadlines.timers_in(get(shard))]

    def swept_until(self) -> int:
        return self.recorder.max_tracking_id(SWEEP) or 0

    def _fire(self, minute: int, wake_ups: list[dict[str, Any]]) -> int:
        """Wakes each case named in the minute once, but for those that ended since: it fires
        every timer due by the minute's end, and its next timer's wake-up goes in (the one it
        was woken by is spent)."""
        self._new_wake_ups = {}
        processing = BatchProcessing(tracking=Tracking(SWEEP, minute))
        by = datetime.fromtimestamp((minute + 1) * 60, UTC)
        made = 0
        ended = {wake_up["case_id"] for wake_up in wake_ups if Deadlines.is_cancellation(wake_up)}
        for case_id in dict.fromkeys(wake_up["case_id"] for wake_up in wake_ups if wake_up["case_id"] not in ended):
            case: Case | None = self.aggregate_in_batch(processing, UUID(case_id))
            if case is None:
                continue
            case.fire_due(by, self.timing)
            made += len(case.pending_events)
            processing.collect_events(case)
            self._schedule_wake_up(case, None, not_before=minute + 1)  # in this sweep, if due by its end
        self.finish_batch(processing)
        self.record_processing(processing)
        return made

    def _start_sweeping(self) -> None:
        """On the ledger's first start the watcher begins at the current minute: no timer exists before it."""
        if not self.swept_until():
            self._record_swept(minute_of(self.clock()) - 1)

    def _record_swept(self, minute: int) -> None:
        with contextlib.suppress(IntegrityError):  # recorded already (another start got there first)
            self.recorder.insert_events([], tracking=Tracking(SWEEP, minute))

    def record_processing(self, processing: BatchProcessing) -> list[Tracking]:
        """As recorded; a batch that was not recorded may have seen versions of its cases that
        the store now holds differently (another instance wrote them), so what was seen goes."""
        try:
            recorded_before = super().record_processing(processing)
        except Exception:
            self._earliest_seen.clear()
            raise
        if recorded_before:
            self._earliest_seen.clear()
        return recorded_before

    def _earliest_timer(self, case: Case | None) -> int | None:
        """The minute of the case's earliest timer (None: it has none). The index holds a
        wake-up for the case by then, or by the minute it was written in, if later."""
        if case is None:
            return None
        seen = self._earliest_seen.get(case.id)
        if seen is not None and seen[0] == case.version:
            return seen[1]
        return earliest(case.timers(self.timing))[0]

    def _schedule_wake_up(self, case: Case, earliest_before: int | None, not_before: int | None = None) -> None:
        """Indexes the case's earliest timer when it falls before the one indexed already (or
        none was): the index holds one wake-up a case, not each of its timers. A wake-up that
        finds nothing due (its timer was made stale) indexes the next. A timer that is already
        due goes to the minute `not_before` (the current one: the watcher has not swept it).
        A case that has ended cancels the wake-up this ledger last indexed for it, so the
        watcher does not read it back for nothing (one it indexed before a restart still does)."""
        minute, timer = earliest(case.timers(self.timing))
        seen = self._earliest_seen.get(case.id)
        woken_at = seen[2] if seen is not None else None
        shard = Deadlines.shard_of(self.partition)  # only this instance writes its partitions' shards
        now = minute_of(self.clock())
        if timer is not None and (earliest_before is None or minute < earliest_before):
            woken_at = max(minute, now if not_before is None else not_before)
            self._new_wake_ups.setdefault((woken_at, shard), []).append({**timer, "case_id": str(case.id)})
        elif case.status in FINAL_STATES and woken_at is not None:
            if woken_at >= now:
                self._new_wake_ups.setdefault((woken_at, shard), []).append(Deadlines.cancelled(case.id))
            woken_at = None
        self._earliest_seen[case.id] = (case.version, minute, woken_at)
        self._earliest_seen.move_to_end(case.id)
        while len(self._earliest_seen) > self.WORKING_SET:
            self._earliest_seen.popitem(last=False)

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

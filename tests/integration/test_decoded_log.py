"""A service's followers (its relay, its dispatcher, its views) read its log as domain events.
What this process recorded is handed to them as recorded, without reading it back from the
store; what another instance recorded in the same store is read and decoded. Either way a
follower gets what the store holds."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

from onestep_gateway.application import DepartmentTasks
from onestep_runtime.follower import DecodedLog

from ..scenarios import accepted_envelope, decided_envelope, submitted_envelope

DEPARTMENT = "market-regulation"


class RemembersWhatItRecorded(DepartmentTasks):
    """A gateway instance that keeps the events it recorded, to compare with what its log reads."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.recorded = []

    def _record(self, processing):
        recordings = super()._record(processing)
        self.recorded.extend(recording.domain_event for recording in recordings)
        return recordings


def test_a_follower_gets_what_this_process_recorded_as_recorded_and_another_instances_events_decoded(store_env):
    this = RemembersWhatItRecorded(env=store_env, department=DEPARTMENT)
    other = RemembersWhatItRecorded(env=store_env, department=DEPARTMENT)
    log = DecodedLog.of(this)
    assert this.apply_batch("applications", 0, [submitted_envelope(uuid.uuid4(), [DEPARTMENT])], 0)
    assert other.apply_batch("applications", 1, [submitted_envelope(uuid.uuid4(), [DEPARTMENT])], 0)
    assert this.apply_batch("applications", 0, [submitted_envelope(uuid.uuid4(), [DEPARTMENT])], 1)
    read_back_before = events_read_back(this)

    events, last = log.read(1, 100)

    stored = this.recorder.select_notifications(1, 100)
    assert last == stored[-1].id and len(events) == len(stored) == 3  # a task received by each batch
    assert events == [this.mapper.to_domain_event(notification) for notification in stored]
    handed_as_recorded = {id(event) for event in this.recorded}
    assert [id(event) in handed_as_recorded for event in events] == [True, False, True]
    assert not {id(event) for event in other.recorded} & {id(event) for event in events}
    assert events_read_back(this) - read_back_before == 1  # counted for the operators
    # read in pages from anywhere, the same
    pages = [log.read(notification.id, 1) for notification in stored]
    assert pages == [([event], n.id) for event, n in zip(events, stored, strict=True)]
    assert log.read(stored[-1].id + 1, 100) == ([], None)


def test_what_this_process_recorded_is_read_from_memory_up_to_an_id_it_does_not_hold(store_env, monkeypatch):
    """The ids are unique, so a run of consecutive ids this process holds is all the store has
    between them; after the run, an id it does not hold may be another instance's event."""
    this = DepartmentTasks(env=store_env, department=DEPARTMENT)
    other = DepartmentTasks(env=store_env, department=DEPARTMENT)
    log = DecodedLog.of(this)
    for offset in range(2):
        assert this.apply_batch("applications", 0, [submitted_envelope(uuid.uuid4(), [DEPARTMENT])], offset)
    assert other.apply_batch("applications", 1, [submitted_envelope(uuid.uuid4(), [DEPARTMENT])], 0)
    assert this.apply_batch("applications", 0, [submitted_envelope(uuid.uuid4(), [DEPARTMENT])], 2)
    stored = this.recorder.select_notifications(1, 100)
    as_stored = [this.mapper.to_domain_event(notification) for notification in stored]
    queries = []
    monkeypatch.setattr(this.recorder, "notification_ids", lambda *args: queries.append(args))

    first, _, others, last = (notification.id for notification in stored)
    assert log.remembered(first, 100) == (as_stored[:2], first + 1, True)  # more past the gap
    assert log.remembered(first, 1) == (as_stored[:1], first, True)  # a full batch
    assert log.remembered(others, 100) == ([], None, False)  # the other instance's
    assert log.remembered(last, 100) == (as_stored[3:], last, False)  # all there was
    assert queries == []


def test_what_a_case_keeps_of_its_events_is_not_changed_in_place_by_what_comes_after(store_env):
    """The followers get the events a case recorded as objects the case may still hold (its
    application, a held decision, licences): a case that changed one in place later would have
    it published changed. Every event handed over still equals what the store holds once the
    case has been through a decision held before its application, a gateway's acceptance,
    decisions with licences and its approval."""
    from onestep_contracts.calendar import WorkingCalendar
    from onestep_ledger.application import CaseLedger
    from onestep_ledger.domain.case_rules import Timing

    ledger = CaseLedger(env=store_env, timing=Timing(WorkingCalendar()))
    log = DecodedLog.of(ledger)
    case_id, departments = uuid.uuid4(), ["market-regulation", "fire-rescue"]
    steps = [
        ("decisions", [decided_envelope(case_id, "market-regulation")]),  # before its application
        ("applications", [submitted_envelope(case_id, departments)]),
        ("decisions", [accepted_envelope(case_id, "fire-rescue")]),
        ("decisions", [decided_envelope(case_id, "fire-rescue")]),
    ]
    offsets = {"applications": -1, "decisions": -1}
    for topic, envelopes in steps:
        offsets[topic] += 1
        assert ledger.apply_batch(topic, 0, envelopes, offsets[topic])

    handed, _ = log.read(1, 1_000)

    stored = ledger.recorder.select_notifications(1, 1_000)
    assert [type(event).__name__ for event in handed if event.originator_id == case_id][-1] == "Approved"
    assert handed == [ledger.mapper.to_domain_event(notification) for notification in stored]


def events_read_back(app) -> float:
    return REGISTRY.get_sample_value("onestep_log_events_read_back_total", {"application": app.name}) or 0.0

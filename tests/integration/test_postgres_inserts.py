"""A PostgreSQL store records a batch's events as one array per column, in binary: what is read
back is byte for byte what was recorded, the notification ids follow the batch's order, and a
version stored already still fails the whole batch as an integrity error."""

from __future__ import annotations

import uuid

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from onestep_gateway.application import DepartmentTasks


@pytest.fixture
def recorder(postgres):
    name = f"inserts_{uuid.uuid4().hex[:10]}"
    postgres.create_database(name)
    tasks = DepartmentTasks(env=postgres.eventsourcing_env(name), department="fire-rescue")
    yield tasks.recorder  # the application keeps its connections open while it lives
    tasks.close()


def stored(originator_id: uuid.UUID, version: int, topic: str, state: bytes) -> StoredEvent:
    return StoredEvent(originator_id=originator_id, originator_version=version, topic=topic, state=state)


def test_every_byte_of_a_state_and_every_character_of_a_topic_is_read_back(recorder):
    first, second = uuid.uuid4(), uuid.uuid4()
    events = [
        stored(first, 1, "onestep_gateway.domain.task:DepartmentTask.Received", bytes(range(256)) * 40),
        stored(second, 1, 'a "quoted", {braced} topic \\ with a backslash', b""),
        stored(first, 2, "主题 — not only ASCII", b"\\x00\"',{}()\x00\n"),
        stored(second, 2, "t", b"\x00" * 3),
    ]
    ids = recorder.insert_events(events)

    assert ids == sorted(ids) and len(set(ids)) == 4  # in the batch's order
    notified = recorder.select_notifications(start=ids[0], limit=10)
    assert [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in notified] == [
        (id_, e.originator_id, e.originator_version, e.topic, e.state) for id_, e in zip(ids, events, strict=True)
    ]
    assert [(e.topic, e.state) for e in recorder.select_events(first)] == [
        (events[0].topic, events[0].state),
        (events[2].topic, events[2].state),
    ]


def test_a_version_stored_already_fails_its_whole_batch(recorder):
    case = uuid.uuid4()
    recorder.insert_events([stored(case, 1, "t", b"first")])
    other = uuid.uuid4()

    with pytest.raises(IntegrityError):
        recorder.insert_events([stored(other, 1, "t", b"new"), stored(case, 1, "t", b"again")])

    assert recorder.select_events(other) == []
    assert [e.state for e in recorder.select_events(case)] == [b"first"]

"""A poll's events and the position in each of its partitions are recorded in one transaction,
on SQLite and on PostgreSQL (where the positions go to the server as one statement): all of
them or none. A position goes forward only, so a poll that another instance (or this one
before a restart) recorded already is refused whole, and only its other partitions are
applied again."""

from __future__ import annotations

import uuid

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking

from onestep_gateway.application import DepartmentTasks
from onestep_runtime.projection import PartitionBatch

from ..scenarios import submitted_envelope

DEPARTMENT = "fire-rescue"


@pytest.fixture
def tasks(store_env):
    tasks = DepartmentTasks(env=store_env, department=DEPARTMENT)
    yield tasks
    tasks.close()


def an_event() -> StoredEvent:
    return StoredEvent(originator_id=uuid.uuid4(), originator_version=1, topic="t", state=b"{}")


def positions_of(tasks: DepartmentTasks, *names: str) -> list[int | None]:
    return [tasks.recorder.max_tracking_id(name) for name in names]


def test_every_position_of_a_poll_is_recorded_with_its_events(tasks):
    event = an_event()
    tasks.recorder.insert_events(
        [event], positions=[Tracking("applications:0", 5), Tracking("applications:3", 7), Tracking("decisions:1", 2)]
    )
    tasks.recorder.insert_events([], positions=[Tracking("applications:0", 6)])  # a follower's kind of write

    assert positions_of(tasks, "applications:0", "applications:3", "decisions:1") == [6, 7, 2]
    assert [e.state for e in tasks.recorder.select_events(event.originator_id)] == [b"{}"]


@pytest.mark.parametrize("recorded_as_far", [5, 9], ids=["the same position", "a later one"])
def test_a_poll_with_a_position_recorded_as_far_records_nothing(tasks, recorded_as_far):
    tasks.recorder.insert_events([], positions=[Tracking("applications:0", recorded_as_far)])
    event = an_event()

    with pytest.raises(IntegrityError):
        tasks.recorder.insert_events([event], positions=[Tracking("applications:1", 3), Tracking("applications:0", 5)])

    assert positions_of(tasks, "applications:0", "applications:1") == [recorded_as_far, None]
    assert tasks.recorder.select_events(event.originator_id) == []


def test_a_poll_whose_events_collide_records_none_of_its_positions(tasks):
    event = an_event()
    tasks.recorder.insert_events([event], positions=[Tracking("applications:0", 1)])

    with pytest.raises(IntegrityError):
        tasks.recorder.insert_events([an_event(), event], positions=[Tracking("applications:0", 2)])

    assert positions_of(tasks, "applications:0") == [1]


def test_a_partition_applied_before_is_left_out_and_the_rest_of_the_poll_is_applied(tasks):
    applied, fresh = (submitted_envelope(uuid.uuid4(), [DEPARTMENT]) for _ in range(2))
    assert tasks.apply_batch("applications", 0, [applied], 4)
    [applied_task], [fresh_task] = tasks.aggregate_ids(applied), tasks.aggregate_ids(fresh)

    again = tasks.apply_poll(
        [PartitionBatch("applications", 0, [applied], 4), PartitionBatch("applications", 2, [fresh], 9)]
    )

    assert again == {("applications", 0)}
    assert positions_of(tasks, "applications:0", "applications:2") == [4, 9]
    assert tasks.stored_among([fresh_task]) == {fresh_task}
    assert len(tasks.recorder.select_events(applied_task)) == 1  # received once

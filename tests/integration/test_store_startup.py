"""Instances of a service that start at once on a fresh store (two ledgers scaled out, a
gateway's replicas after a deploy) all start. Each looks for the store's tables, finds none,
and makes them; the library then records which kind of tracking table it made, and only one
instance's record is taken (on PostgreSQL two CREATE TABLE IF NOT EXISTS at once collide in
the catalogue, for the events and for a view's tables). The other looks again and finds the
tables made."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from onestep_gateway.adapters.desk_view import DeskTables
from onestep_gateway.application import DepartmentTasks
from onestep_runtime.poll_recorders import PostgresPollRecorder, SQLitePollRecorder
from onestep_runtime.sql_view import view_for

from ..scenarios import submitted_envelope

DEPARTMENT = "market-regulation"
BOTH_LOOKED = threading.Barrier(2, timeout=30)


class _MakesTablesWithAnother:
    """A recorder that starts looking for the tables with another instance, and makes them
    only once the other is about to make them too (on PostgreSQL the composite type is
    made between the two, in a transaction of its own: a collision there is a second one)."""

    def create_table(self):
        _with_the_other(self, "looking")
        super().create_table()

    def _create_table(self, c):
        _with_the_other(self, "making")
        super()._create_table(c)


class DeskTablesWithAnother(DeskTables):
    def create_table(self):
        _with_the_other(self, "making")
        super().create_table()


def _with_the_other(recorder, step: str) -> None:
    waited = recorder.__dict__.setdefault("waited", set())
    if step not in waited:  # only at the first try
        waited.add(step)
        BOTH_LOOKED.wait()


class RacingSQLiteRecorder(_MakesTablesWithAnother, SQLitePollRecorder):
    pass


class RacingPostgresRecorder(_MakesTablesWithAnother, PostgresPollRecorder):
    pass


def test_two_instances_starting_at_once_on_a_fresh_store_both_start(store_env):
    racing = RacingSQLiteRecorder if store_env["PERSISTENCE_MODULE"].endswith("sqlite") else RacingPostgresRecorder
    env = {**store_env, "PROCESS_RECORDER_TOPIC": f"{__name__}:{racing.__name__}"}
    BOTH_LOOKED.reset()
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: DepartmentTasks(env=env, department=DEPARTMENT), range(2))

    cases = [uuid.uuid4() for _ in range(2)]
    for partition, (instance, case_id) in enumerate(zip((first, second), cases, strict=True)):
        assert instance.apply_batch("applications", partition, [submitted_envelope(case_id, [DEPARTMENT])], 0)
    assert first.recorder.stored_among([uuid.UUID(int=0)]) == set()
    assert second.recorder.max_tracking_id("applications:0") == 0
    assert first.recorder.max_tracking_id("applications:1") == 0


def test_two_instances_making_a_view_at_once_on_a_fresh_store_both_start(store_env):
    first, second = (DepartmentTasks(env=store_env, department=DEPARTMENT) for _ in range(2))
    BOTH_LOOKED.reset()
    with ThreadPoolExecutor(2) as pool:
        views = list(pool.map(lambda app: view_for(app, DeskTablesWithAnother), (first, second)))
    assert all(view.read("SELECT COUNT(*) AS n FROM desk_tasks", {}) == [{"n": 0}] for view in views)


def test_two_instances_starting_at_once_on_a_made_store_both_start(store_env):
    """On PostgreSQL the library replaces its insert function at every start, and two
    replacements at once collide in the catalogue ("tuple concurrently updated")."""
    racing = RacingSQLiteRecorder if store_env["PERSISTENCE_MODULE"].endswith("sqlite") else RacingPostgresRecorder
    made = DepartmentTasks(env=store_env, department=DEPARTMENT)
    env = {**store_env, "PROCESS_RECORDER_TOPIC": f"{__name__}:{racing.__name__}"}
    BOTH_LOOKED.reset()
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: DepartmentTasks(env=env, department=DEPARTMENT), range(2))
    case_id = uuid.uuid4()
    assert first.apply_batch("applications", 0, [submitted_envelope(case_id, [DEPARTMENT])], 0)
    assert second.recorder.max_tracking_id("applications:0") == made.recorder.max_tracking_id("applications:0") == 0

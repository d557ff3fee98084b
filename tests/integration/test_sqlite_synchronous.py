"""A SQLite store's commits go to the operating system (NORMAL) unless SQLITE_SYNCHRONOUS asks
for each to be on disk first; every connection a service opens, views' included, is set so."""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from onestep_gateway.adapters.desk_view import desk_view
from onestep_gateway.application import DepartmentTasks
from onestep_gateway.desk_projection import DeskProjection

from ..scenarios import submitted_envelope

LEVEL_NUMBERS = {"OFF": 0, "NORMAL": 1, "FULL": 2, "EXTRA": 3}


def levels_in_use(app: DepartmentTasks) -> set[int]:
    """The synchronous level of a reading and a writing connection of the application's pool,
    open at once (two connections)."""
    store = app.recorder.datastore
    levels = set()
    with store.transaction(commit=False) as reading, store.transaction(commit=True) as writing:
        for cursor in (reading, writing):
            cursor.execute("PRAGMA synchronous")
            levels.add(cursor.fetchone()[0])
    return levels


@pytest.mark.parametrize("asked, expected", [(None, "NORMAL"), ("full", "FULL"), ("NORMAL", "NORMAL")])
def test_every_connection_of_a_store_and_its_view_commits_at_the_level_asked(tmp_path, asked, expected):
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "tasks.sqlite")}
    if asked:
        env["SQLITE_SYNCHRONOUS"] = asked
    tasks = DepartmentTasks(env=env, department="fire-rescue")
    desk = DeskProjection(desk_view(tasks))
    case_id = uuid.uuid4()
    assert tasks.apply_batch("applications", 0, [submitted_envelope(case_id, ["fire-rescue"])], 0)
    assert levels_in_use(tasks) == {LEVEL_NUMBERS[expected]}
    with desk.view.reading() as statements:
        assert statements.rows("PRAGMA synchronous", {}) == [{"synchronous": LEVEL_NUMBERS[expected]}]
    # What was committed is there for another connection, as at any level.
    with sqlite3.connect(env["SQLITE_DBNAME"]) as other:
        assert other.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] == 1


def test_a_level_sqlite_does_not_have_stops_the_service_at_start(tmp_path):
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(tmp_path / "tasks.sqlite"),
        "SQLITE_SYNCHRONOUS": "sometimes",
    }
    with pytest.raises(OSError, match="SQLITE_SYNCHRONOUS is 'SOMETIMES'; one of OFF, NORMAL, FULL, EXTRA"):
        DepartmentTasks(env=env, department="fire-rescue")

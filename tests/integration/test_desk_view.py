"""The desk's list inserts a batch's new tasks with one statement (on PostgreSQL a statement
a row was most of the statements a gateway sent), then applies the batch's changes in order."""

from __future__ import annotations

import uuid
from uuid import UUID

from onestep_contracts import task_id_for
from onestep_gateway.adapters.desk_view import desk_view
from onestep_gateway.application import DepartmentTasks
from onestep_gateway.desk_projection import DeskProjection
from onestep_runtime.follower import DecodedLog

from ..scenarios import submitted_envelope

DEPARTMENT = "market-regulation"


def test_a_batch_inserts_its_new_tasks_together_and_then_applies_their_changes(store_env):
    app = DepartmentTasks(env=store_env, department=DEPARTMENT)
    dispatched, waiting = (uuid.uuid4() for _ in range(2))
    applications = [submitted_envelope(case_id, [DEPARTMENT]) for case_id in (dispatched, waiting)]
    assert app.apply_batch("applications", 0, applications, 0)
    task = app.take(UUID(task_id_for(dispatched, DEPARTMENT)))
    task.dispatch("desk")
    app.save(task)
    events, last = DecodedLog.of(app).read(1, 100)
    desk = DeskProjection(desk_view(app))

    desk.apply(events, last)  # two tasks received, then one of them handed to the desk
    desk.apply(events[:1], last + 1)  # a task's first event again: its row stays as it is

    rows = desk.view.read("SELECT task_id, status, round, item FROM desk_tasks ORDER BY task_id", {})
    assert {row["task_id"]: row["status"] for row in rows} == {
        task_id_for(dispatched, DEPARTMENT): "pending",
        task_id_for(waiting, DEPARTMENT): "received",
    }
    assert [(row["round"], row["item"]) for row in rows] == [(1, "open-restaurant")] * 2
    assert desk.view.max_tracking_id("desk") == last + 1

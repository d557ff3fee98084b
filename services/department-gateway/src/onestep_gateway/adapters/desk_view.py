"""The review desk's list: a row per task of the department, kept from the gateway's own log
(see desk_projection), so officers can list what waits for them by region and due time."""

from __future__ import annotations

from eventsourcing.application import Application

from onestep_runtime.sql_view import SqlView, view_for


class DeskTables(SqlView):
    TABLES = [
        """CREATE TABLE IF NOT EXISTS desk_tasks (
            task_id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL,
            item TEXT NOT NULL,
            region TEXT NOT NULL,
            round INTEGER NOT NULL,
            due_at TEXT NOT NULL,
            status TEXT NOT NULL,
            claimed_by TEXT,
            received_at TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS desk_tasks_by_status ON desk_tasks (status, region, due_at)",
    ]


def desk_view(app: Application) -> DeskTables:
    return view_for(app, DeskTables)

"""The reform's statistics as two SQL tables beside the ledger's events: a row per case and a
row per department task, kept by following the ledger's own log (see stats_projection).

Each batch of the log is written with its position in one transaction (an eventsourcing
tracking recorder, on the ledger's own database), so a restart neither counts twice nor skips.
Statements are written once with `:name` parameters and given to SQLite or PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder

TABLES = [
    """CREATE TABLE IF NOT EXISTS stats_cases (
        case_id TEXT PRIMARY KEY,
        item TEXT NOT NULL,
        region TEXT NOT NULL,
        accepted_region TEXT NOT NULL,
        submitted_on TEXT NOT NULL,
        submitted_at TEXT NOT NULL,
        status TEXT NOT NULL,
        procedures INTEGER NOT NULL,
        documents INTEGER NOT NULL,
        baseline_procedures INTEGER,
        baseline_documents INTEGER,
        baseline_days INTEGER,
        promised_days INTEGER NOT NULL,
        paused_s DOUBLE PRECISION NOT NULL DEFAULT 0,
        last_decided_at TEXT,
        decided_at TEXT,
        elapsed_days DOUBLE PRECISION
    )""",
    "CREATE INDEX IF NOT EXISTS stats_cases_by_day ON stats_cases (submitted_on, item, region)",
    """CREATE TABLE IF NOT EXISTS stats_tasks (
        case_id TEXT NOT NULL,
        department TEXT NOT NULL,
        round INTEGER NOT NULL,
        due_at TEXT NOT NULL,
        status TEXT NOT NULL,
        decided_at TEXT,
        on_time INTEGER,
        PRIMARY KEY (case_id, department, round)
    )""",
    "CREATE INDEX IF NOT EXISTS stats_tasks_by_department ON stats_tasks (department, status)",
]


class StatsTables:
    """What both dialects share: the tables, one transaction per batch, and its statements."""

    datastore: Any
    named_parameter = r":\1"

    def create_table(self) -> None:
        super().create_table()  # the tracking table
        with self.datastore.transaction(commit=True) as cursor:
            for statement in TABLES:
                cursor.execute(statement)

    @contextmanager
    def batch(self, tracking: Tracking) -> Iterator[Statements]:
        """A transaction that records `tracking` with whatever the batch wrote."""
        with self.datastore.transaction(commit=True) as cursor:
            yield Statements(cursor, self.named_parameter)
            self._insert_tracking(cursor, tracking)

    def read(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as cursor:
            return Statements(cursor, self.named_parameter).rows(sql, params)


class Statements:
    def __init__(self, cursor: Any, named_parameter: str):
        self._cursor = cursor
        self._named_parameter = named_parameter

    def run(self, sql: str, params: dict[str, Any]) -> None:
        self._cursor.execute(self._dialect(sql), params)

    def rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        self._cursor.execute(self._dialect(sql), params)
        return [dict(row) for row in self._cursor.fetchall()]

    def _dialect(self, sql: str) -> str:
        return re.sub(r"(?<!:):([a-z_]+)", self._named_parameter, sql)


class SQLiteStatsView(StatsTables, SQLiteTrackingRecorder):
    pass


class PostgresStatsView(StatsTables, PostgresTrackingRecorder):
    named_parameter = r"%(\1)s"


def stats_view(app: Application) -> TrackingRecorder:
    """The view on the application's own database (SQLite file or PostgreSQL schema)."""
    view_class = PostgresStatsView if isinstance(app.recorder, PostgresTrackingRecorder) else SQLiteStatsView
    return app.factory.tracking_recorder(view_class)

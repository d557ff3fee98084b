"""The reform's statistics as two SQL tables beside the ledger's events: a row per case and a
row per department task, kept by following the ledger's own log (see stats_projection).

Each batch of the log is written with its position in one transaction (an eventsourcing
tracking recorder, on the ledger's own database), so a restart neither counts twice nor skips.
"""

from __future__ import annotations

from eventsourcing.application import Application

from onestep_runtime.sql_view import SqlView, view_for


class StatsTables(SqlView):
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


def stats_view(app: Application) -> StatsTables:
    """The view on the ledger's own database (SQLite file or PostgreSQL database)."""
    return view_for(app, StatsTables)

"""A view's batch updates on PostgreSQL are planned for the table as it is when they run. A
view's tables start empty; prepared (as psycopg does on a statement's fifth run), an update
was planned once while the table was small, by a scan of the whole table, and that plan was
kept as the table grew: every later batch read every row."""

from __future__ import annotations

import uuid

from eventsourcing.persistence import Tracking

from onestep_ledger.adapters.stats_view import stats_view
from onestep_ledger.bootstrap import open_ledger
from onestep_ledger.settings import LedgerSettings
from onestep_ledger.stats_fold import TASK_CHANGING, TASK_COLUMNS
from onestep_ledger.stats_projection import _stored_rows

KEY = ("case_id", "department", "round")
DEPARTMENTS = ("fire-rescue", "market-regulation", "urban-management")


def tasks(case_ids: list[str], status: str) -> list[dict]:
    return [
        {"case_id": case_id, "department": department, "round": 1, "due_at": "2026-12-20T02:00:00.000000Z",
         "status": status, "decided_at": None if status == "pending" else "2026-12-18T02:00:00.000000Z",
         "on_time": None if status == "pending" else 1}
        for case_id in case_ids
        for department in DEPARTMENTS
    ]  # fmt: skip


def cases(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def scans_of_the_tasks_table(sql) -> dict:
    """This connection's scans of the table so far (its counts not yet reported included)."""
    [scans] = sql.rows("SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'stats_tasks'", {})
    return scans


def test_a_batch_update_finds_its_rows_by_the_key_once_the_table_has_grown(postgres):
    name = f"plans_{uuid.uuid4().hex[:10]}"
    postgres.create_database(name)
    # One connection, as a view's batches mostly get: psycopg counts a statement's runs by connection.
    env = {**postgres.eventsourcing_env(name), "POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "0"}
    ledger = open_ledger(LedgerSettings(), env=env)
    try:
        view = stats_view(ledger)
        position = 0

        def batch():
            nonlocal position
            position += 1
            return view.batch(Tracking("stats", position))

        with batch() as sql:
            # no statistics gathered meanwhile: what the planner knows is the table's size
            sql.run("ALTER TABLE stats_tasks SET (autovacuum_enabled = false)", {})
        for _ in range(20):  # a new view's first batches: cases opened, earlier ones decided
            opened = cases(60)
            with batch() as sql:
                sql.insert_rows("stats_tasks", TASK_COLUMNS, tasks(opened, "pending"))
                sql.update_rows("stats_tasks", TASK_CHANGING, KEY, tasks(opened[:30], "approved"))
        grown = cases(20_000)
        with batch() as sql:
            sql.insert_rows("stats_tasks", TASK_COLUMNS, tasks(grown, "pending"))

        with batch() as sql:
            before = scans_of_the_tasks_table(sql)
            for start in range(0, 600, 60):
                sql.update_rows("stats_tasks", TASK_CHANGING, KEY, tasks(grown[start : start + 60], "approved"))
            after = scans_of_the_tasks_table(sql)
        assert after["seq_scan"] == before["seq_scan"]  # none of these ten read the whole table
        assert after["idx_scan"] - before["idx_scan"] >= 10
        decided = view.read("SELECT COUNT(*) AS n FROM stats_tasks WHERE status = 'approved'", {})
        assert decided == [{"n": (20 * 30 + 600) * len(DEPARTMENTS)}]
    finally:
        ledger.close()


def test_cases_looked_up_after_a_fill_are_found_by_the_key_once_the_view_has_its_statistics(postgres):
    """A rebuild fills a view's tables faster than autovacuum looks at them; without statistics
    the planner took `case_id IN (...)` on the task rows' key to match half the table, and
    scanned all of it for every hundred cases looked up. A rebuild gathers them as it goes."""
    name = f"lookups_{uuid.uuid4().hex[:10]}"
    postgres.create_database(name)
    ledger = open_ledger(LedgerSettings(), env=postgres.eventsourcing_env(name))
    try:
        view = stats_view(ledger)
        filled = cases(20_000)
        with view.batch(Tracking("stats", 1)) as sql:
            sql.run("ALTER TABLE stats_tasks SET (autovacuum_enabled = false)", {})
            sql.insert_rows("stats_tasks", TASK_COLUMNS, tasks(filled, "pending"))
        view.analyze()
        with view.batch(Tracking("stats", 2)) as sql:
            before = scans_of_the_tasks_table(sql)
            _, found = _stored_rows(sql, filled[:300])
            after = scans_of_the_tasks_table(sql)
        assert len(found) == 300 * len(DEPARTMENTS)
        assert after["seq_scan"] == before["seq_scan"]
        assert after["idx_scan"] - before["idx_scan"] >= 3  # a lookup a hundred cases
    finally:
        ledger.close()

"""The reform's statistics, folded from the ledger's own log into the stats tables, and read
back for `GET /v1/stats`: cases by state, procedures and documents per case against the
baseline before the reform, elapsed working days against the promise and the baseline, each
department's on-time rate, and the cases accepted in one region for another.

Each batch of the log takes the rows of the cases it names (those its writer carries from the
batches before, the others read from the tables), folds its events into them in memory
(`stats_fold`) and writes each changed row once, in one transaction with its position.
The rows are read before that transaction: only one follower writes the view (see leases),
and each process of a rebuild writes the rows of cases of its own, so no one else changes
them meanwhile, and on SQLite a transaction that begins by writing waits for another
process's to end where one that read first would fail.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, Notification, Tracking
from eventsourcing.utils import get_topic

from onestep_runtime.sql_view import Statements

from .domain.case import Case
from .domain.case_rules import Calendar
from .stats_fold import CASE_CHANGING, CASE_COLUMNS, FOLDS, TASK_CHANGING, TASK_COLUMNS, StatsFold, TaskKey, utc

STATS_NAME = "stats"
IN_CHUNK = 100  # case ids per lookup (one statement text, padded)
# The events a case's rows begin with: none of its events before them is folded (a decision or
# an acceptance that came before its application is held), so its rows are not looked up.
OPENINGS = (Case.Opened, Case.ApplicationArrived)
OPENING_TOPICS = frozenset(get_topic(cls) for cls in OPENINGS)


class StatsProjection:
    FOLDS = FOLDS

    def __init__(self, view: Any, calendar: Calendar, kept_cases: int = 2_000):
        self.view = view
        self.calendar = calendar
        # The rows of the open cases this view wrote last, carried from batch to batch: a case's
        # decisions come in later batches than its opening, and looking its rows up again was
        # most of what the view asked the store (on PostgreSQL, by table scans: see
        # sql_view.PostgresStatements).
        self.kept = KeptRows(kept_cases)

    def apply(self, domain_events: list[Any], last_notification_id: int) -> None:
        """Folds the batch into the rows it touches, read once and written once, in one
        transaction with the position."""
        folded = [event for event in domain_events if isinstance(event, FOLDS)]
        names = [(event.originator_id, isinstance(event, OPENINGS)) for event in folded]
        self._fold(names, folded, last_notification_id, self.kept)

    def forget(self) -> None:
        """Lets the carried rows go: another instance may have written the view since (its
        follower calls this whenever it goes on from the position recorded in the store)."""
        self.kept.clear()

    def apply_stored(
        self,
        notifications: list[Notification],
        mapper: Mapper,
        last_notification_id: int,
        kept: KeptRows,
        position: str = STATS_NAME,
    ) -> None:
        """The same, from stored events the view folds, each decoded as it is folded: a page
        of a rebuild holds its stored events and its rows, never all its events decoded. The
        rows of the cases `kept` holds are taken from it, not looked up. `position`: the name
        the page's position is recorded under (each process of a rebuild has its own)."""
        names = [(n.originator_id, n.topic in OPENING_TOPICS) for n in notifications]
        events = (mapper.to_domain_event(n) for n in notifications)
        self._fold(names, events, last_notification_id, kept, position)

    def _fold(
        self,
        names: list[tuple[UUID, bool]],
        events: Iterable[Any],
        last_notification_id: int,
        kept: KeptRows,
        position: str = STATS_NAME,
    ) -> None:
        """`names`: each event's case, and whether the event opens it. The rows `kept` holds
        are taken from it, and what the batch committed is kept; a batch that fails empties it
        (it may hold rows the failed batch changed)."""
        try:
            fold = self._folded(names, events, kept) if names else None
            with self.view.batch(Tracking(position, last_notification_id)) as sql:
                if fold is not None:
                    _write(sql, fold)
        except BaseException:
            kept.clear()
            raise
        if fold is not None:
            kept.keep(fold)

    def _folded(self, names: list[tuple[UUID, bool]], events: Iterable[Any], kept: KeptRows) -> StatsFold:
        # A case opened in this batch has no rows yet: only the others are looked up.
        opened = {case_id for case_id, opens in names if opens}
        named = list(dict.fromkeys(str(case_id) for case_id, _ in names if case_id not in opened))
        cases, tasks, unknown = kept.take(named)
        if unknown:
            with self.view.reading() as sql:
                stored_cases, stored_tasks = _stored_rows(sql, unknown)
            cases, tasks = cases | stored_cases, tasks | stored_tasks
        fold = StatsFold(self.calendar, cases, tasks)
        for event in events:
            fold.fold(event)
        return fold


class KeptRows:
    """The rows of the cases a view's writer (its live follower, or a process of a rebuild) has
    written and not yet seen end, carried from batch to batch: a case whose events span batches
    (live, every case's do) is not looked up again. It holds only what was committed: a batch
    that fails empties it. At most `limit` cases (about 2.5 KB each), the longest untouched
    let go first."""

    ENDED = ("approved", "rejected", "withdrawn")

    def __init__(self, limit: int = 10_000):
        self.limit = limit
        self._cases: dict[str, tuple[dict[str, Any] | None, list[dict[str, Any]]]] = {}

    def take(self, case_ids: list[str]) -> tuple[dict[str, dict], dict[TaskKey, dict], list[str]]:
        """The rows of the cases it holds, given up to the caller, and the ids it does not hold."""
        cases: dict[str, dict[str, Any]] = {}
        tasks: dict[TaskKey, dict[str, Any]] = {}
        unknown = []
        for case_id in case_ids:
            if case_id not in self._cases:
                unknown.append(case_id)
                continue
            row, task_rows = self._cases.pop(case_id)
            if row is not None:
                cases[case_id] = row
            for task in task_rows:
                tasks[(case_id, task["department"], task["round"])] = task
        return cases, tasks, unknown

    def keep(self, fold: StatsFold) -> None:
        """The rows of every case the committed page touched, unless the case has ended."""
        tasks_of: dict[str, list[dict[str, Any]]] = {}
        for (case_id, _, _), task in fold.tasks.items():
            tasks_of.setdefault(case_id, []).append(task)
        for case_id in fold.cases.keys() | tasks_of.keys():
            row = fold.cases.get(case_id)
            if row is None or row["status"] not in self.ENDED:
                self._cases[case_id] = (row, tasks_of.get(case_id, []))
        for case_id in list(self._cases)[: max(len(self._cases) - self.limit, 0)]:
            del self._cases[case_id]

    def clear(self) -> None:
        self._cases.clear()


def _stored_rows(sql: Statements, case_ids: list[str]) -> tuple[dict[str, dict], dict[TaskKey, dict]]:
    cases: dict[str, dict[str, Any]] = {}
    tasks: dict[TaskKey, dict[str, Any]] = {}
    names = ", ".join(f":c{n}" for n in range(IN_CHUNK))
    for start in range(0, len(case_ids), IN_CHUNK):
        chunk = case_ids[start : start + IN_CHUNK]
        params = {f"c{n}": chunk[min(n, len(chunk) - 1)] for n in range(IN_CHUNK)}
        for row in sql.rows(f"SELECT * FROM stats_cases WHERE case_id IN ({names})", params):
            cases[row["case_id"]] = row
        for row in sql.rows(f"SELECT * FROM stats_tasks WHERE case_id IN ({names})", params):
            tasks[(row["case_id"], row["department"], row["round"])] = row
    return cases, tasks


def _write(sql: Statements, fold: StatsFold) -> None:
    _write_rows(
        sql, "stats_cases", CASE_COLUMNS, ("case_id",), CASE_CHANGING, fold.cases, fold.new_cases, fold.changed_cases
    )
    _write_rows(
        sql,
        "stats_tasks",
        TASK_COLUMNS,
        ("case_id", "department", "round"),
        TASK_CHANGING,
        fold.tasks,
        fold.new_tasks,
        fold.changed_tasks,
    )


def _write_rows(
    sql: Statements,
    table: str,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    changing: tuple[str, ...],
    rows: dict[Any, dict[str, Any]],
    new: set[Any],
    changed: set[Any],
) -> None:
    if new:
        sql.insert_rows(table, columns, [rows[k] for k in new])
    if changed:
        # Only the columns a fold changes: the others (an index's among them) stay as inserted.
        sql.update_rows(table, changing, key, [rows[k] for k in changed])


# -- the report -------------------------------------------------------------------------


def report(
    view: Any,
    *,
    now: datetime,
    item: str | None = None,
    region: str | None = None,
    department: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """The figures for the cases submitted in [since, until] (local dates), of the item, in the
    region (a code prefix: "4301" is the city and its districts) and touching the department."""
    where, params = ["1 = 1"], {"now": utc(now)}
    if item:
        where.append("c.item = :item")
        params["item"] = item
    if region:
        where.append("c.region LIKE :region")
        params["region"] = f"{region}%"
    if since:
        where.append("c.submitted_on >= :since")
        params["since"] = since.isoformat()
    if until:
        where.append("c.submitted_on <= :until")
        params["until"] = until.isoformat()
    if department:
        where.append("EXISTS (SELECT 1 FROM stats_tasks d WHERE d.case_id = c.case_id AND d.department = :department)")
        params["department"] = department
    cases = " FROM stats_cases c WHERE " + " AND ".join(where)

    def counted_by(column: str) -> dict[str, int]:
        rows = view.read(
            f"SELECT c.{column} AS k, COUNT(*) AS n" + cases + f" GROUP BY c.{column} ORDER BY c.{column}", params
        )
        return {row["k"]: row["n"] for row in rows}

    totals = view.read(
        "SELECT COUNT(*) AS n, SUM(CASE WHEN c.region <> c.accepted_region THEN 1 ELSE 0 END) AS inter_region,"
        " AVG(c.procedures) AS procedures, AVG(c.baseline_procedures) AS baseline_procedures,"
        " AVG(c.documents) AS documents, AVG(c.baseline_documents) AS baseline_documents" + cases,
        params,
    )[0]
    decided = view.read(
        "SELECT COUNT(*) AS n, AVG(c.elapsed_days) AS elapsed, AVG(c.promised_days) AS promised,"
        " AVG(c.baseline_days) AS baseline, SUM(CASE WHEN c.elapsed_days <= c.promised_days THEN 1 ELSE 0 END) AS within"
        + cases
        + " AND c.status IN ('approved', 'rejected')",
        params,
    )[0]
    task_filter = " AND t.department = :department" if department else ""
    departments = view.read(
        "SELECT t.department, COUNT(DISTINCT t.case_id) AS cases,"
        " SUM(CASE WHEN t.decided_at IS NOT NULL THEN 1 ELSE 0 END) AS decided,"
        " SUM(CASE WHEN t.on_time = 1 THEN 1 ELSE 0 END) AS on_time,"
        " SUM(CASE WHEN t.status = 'pending' AND t.due_at < :now THEN 1 ELSE 0 END) AS open_overdue"
        " FROM stats_tasks t JOIN stats_cases c ON c.case_id = t.case_id WHERE "
        + " AND ".join(where)
        + task_filter
        + " GROUP BY t.department ORDER BY t.department",
        params,
    )
    return {
        "filters": {"item": item, "region": region, "department": department, "since": since, "until": until},
        "cases": {
            "total": totals["n"],
            "by_state": counted_by("status"),
            "by_item": counted_by("item"),
            "by_region": counted_by("region"),
            "inter_region": totals["inter_region"] or 0,
        },
        "procedures": _against_baseline(totals["procedures"], totals["baseline_procedures"]),
        "documents": _against_baseline(totals["documents"], totals["baseline_documents"]),
        "time": {
            "decided_cases": decided["n"],
            "within_promise": decided["within"] or 0,
            "working_days": _against_baseline(decided["elapsed"], decided["baseline"]),
            "promised_days_per_case": _round(decided["promised"]),
        },
        "departments": [
            {
                "department": row["department"],
                "cases": row["cases"],
                "decided": row["decided"],
                "on_time": row["on_time"],
                "on_time_rate": _round(row["on_time"] / row["decided"]) if row["decided"] else None,
                "open_overdue": row["open_overdue"],
            }
            for row in departments
        ],
    }


def _against_baseline(now: float | None, before: float | None) -> dict[str, float | None]:
    """Per case now and before the reform, and the share cut ("70% of procedures removed")."""
    cut = 1 - float(now) / float(before) if now is not None and before else None
    return {"per_case": _round(now), "baseline_per_case": _round(before), "cut": _round(cut)}


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)

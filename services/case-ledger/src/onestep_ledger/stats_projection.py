"""The reform's statistics, folded from the ledger's own log into the stats tables, and read
back for `GET /v1/stats`: cases by state, procedures and documents per case against the
baseline before the reform, elapsed working days against the promise and the baseline, each
department's on-time rate, and the cases accepted in one region for another."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.persistence import Tracking

from onestep_runtime.sql_view import Statements

from .domain.case import Case
from .domain.case_rules import Calendar

STATS_NAME = "stats"
DAY_S = 86400.0


def utc(moment: str | datetime) -> str:
    """One fixed format for every stored time, so that they compare as text."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class StatsProjection:
    # The case events the view folds; every other is passed over (a rebuild does not decode them).
    FOLDS = (
        Case.Opened,
        Case.ApplicationArrived,
        Case.TaskOpened,
        Case.DepartmentDecided,
        Case.TaskCancelled,
        Case.SupplementRequested,
        Case.SupplementProvided,
        Case.AwaitingPromisedMaterials,
        Case.Approved,
        Case.Rejected,
        Case.Withdrawn,
    )

    def __init__(self, view: Any, calendar: Calendar):
        self.view = view
        self.calendar = calendar

    def apply(self, domain_events: list[Any], last_notification_id: int) -> None:
        with self.view.batch(Tracking(STATS_NAME, last_notification_id)) as sql:
            for domain_event in domain_events:
                self._apply(sql, domain_event)

    def _apply(self, sql: Statements, event: Any) -> None:
        if not isinstance(event, self.FOLDS):  # the one list, so that a rebuild skips the same events
            return
        case_id = str(event.originator_id)
        if isinstance(event, (Case.Opened, Case.ApplicationArrived)):
            self._opened(sql, case_id, event.application)
        elif isinstance(event, Case.TaskOpened):
            _insert_task(sql, case_id, event.department, event.round, event.due_at)
        elif isinstance(event, Case.DepartmentDecided):
            decision = event.decision
            decided_at = utc(decision["decided_at"])
            sql.run(
                "UPDATE stats_tasks SET status = :status, decided_at = :decided_at,"
                " on_time = CASE WHEN :decided_at <= due_at THEN 1 ELSE 0 END"
                " WHERE case_id = :case_id AND department = :department AND decided_at IS NULL",
                {
                    "status": decision["outcome"],
                    "decided_at": decided_at,
                    "case_id": case_id,
                    "department": decision["department"],
                },
            )
            sql.run(
                "UPDATE stats_cases SET last_decided_at = :decided_at,"
                " status = CASE WHEN status = 'submitted' THEN 'in_review' ELSE status END WHERE case_id = :case_id",
                {"decided_at": decided_at, "case_id": case_id},
            )
        elif isinstance(event, Case.TaskCancelled):
            sql.run(
                "UPDATE stats_tasks SET status = 'cancelled'"
                " WHERE case_id = :case_id AND department = :department AND decided_at IS NULL",
                {"case_id": case_id, "department": event.department},
            )
        elif isinstance(event, Case.SupplementRequested):
            _set_status(sql, case_id, "supplement_required")
        elif isinstance(event, Case.SupplementProvided):
            files = sum(1 for material in event.supplement.get("materials", []) if material.get("sha256"))
            sql.run(
                "UPDATE stats_cases SET procedures = procedures + 1, documents = documents + :files,"
                " paused_s = paused_s + :paused_s,"
                " status = CASE WHEN status = 'supplement_required' AND :answers_notice = 1 THEN 'in_review'"
                " ELSE status END WHERE case_id = :case_id",
                {
                    "files": files,
                    "paused_s": event.paused_s,
                    "answers_notice": int(getattr(event, "answers_notice", True)),
                    "case_id": case_id,
                },
            )
        elif isinstance(event, Case.AwaitingPromisedMaterials):
            _set_status(sql, case_id, "awaiting_promised_materials")
        elif isinstance(event, (Case.Approved, Case.Rejected, Case.Withdrawn)):
            self._ended(sql, case_id, type(event).__name__.lower(), event.timestamp)

    def _opened(self, sql: Statements, case_id: str, application: dict[str, Any]) -> None:
        baseline = application.get("baseline") or {}
        submitted_at = datetime.fromisoformat(application["submitted_at"])
        files = sum(1 for material in application["materials"] if material.get("sha256"))
        sql.run(
            "INSERT INTO stats_cases (case_id, item, region, accepted_region, submitted_on, submitted_at, status,"
            " procedures, documents, baseline_procedures, baseline_documents, baseline_days, promised_days)"
            " VALUES (:case_id, :item, :region, :accepted_region, :submitted_on, :submitted_at, 'submitted',"
            " 1, :documents, :baseline_procedures, :baseline_documents, :baseline_days, :promised_days)"
            " ON CONFLICT (case_id) DO NOTHING",
            {
                "case_id": case_id,
                "item": application["item"],
                "region": application["region"],
                "accepted_region": application["accepted_region"],
                "submitted_on": submitted_at.astimezone(self.calendar.zone).date().isoformat(),
                "submitted_at": utc(submitted_at),
                "documents": files + len(application.get("promises", [])),
                "baseline_procedures": baseline.get("procedures"),
                "baseline_documents": baseline.get("documents"),
                "baseline_days": baseline.get("days"),
                "promised_days": application["promised_days"],
            },
        )
        for step in application["route"]:
            if not step.get("needs"):
                _insert_task(sql, case_id, step["department"], 1, step["due_at"])

    def _ended(self, sql: Statements, case_id: str, status: str, at: datetime) -> None:
        """The answer: elapsed working days from submission, less the time the clock was stopped."""
        rows = sql.rows(
            "SELECT submitted_at, last_decided_at, paused_s FROM stats_cases WHERE case_id = :case_id",
            {"case_id": case_id},
        )
        if not rows:
            return
        row = rows[0]
        ended = (
            datetime.fromisoformat(row["last_decided_at"]) if row["last_decided_at"] and status != "withdrawn" else at
        )
        working = self.calendar.working_time_between(datetime.fromisoformat(row["submitted_at"]), ended)
        elapsed = max(working.total_seconds() - row["paused_s"], 0.0) / DAY_S
        sql.run(
            "UPDATE stats_cases SET status = :status, decided_at = :decided_at, elapsed_days = :elapsed"
            " WHERE case_id = :case_id",
            {"status": status, "decided_at": utc(ended), "elapsed": elapsed, "case_id": case_id},
        )


def _insert_task(sql: Statements, case_id: str, department: str, round_: int, due_at: str) -> None:
    sql.run(
        "INSERT INTO stats_tasks (case_id, department, round, due_at, status)"
        " VALUES (:case_id, :department, :round, :due_at, 'pending') ON CONFLICT (case_id, department, round) DO NOTHING",
        {"case_id": case_id, "department": department, "round": round_, "due_at": utc(due_at)},
    )


def _set_status(sql: Statements, case_id: str, status: str) -> None:
    sql.run("UPDATE stats_cases SET status = :status WHERE case_id = :case_id", {"status": status, "case_id": case_id})


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

"""What a batch of the ledger's log changes in the stats rows, folded in memory: each row the
batch touches is read once before it and written once after it, instead of a statement per
event (a case's events touch its row and its task rows several times each).

Pure: rows are plain dicts with the stats tables' columns, times as `utc()` text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .domain.case import Case
from .domain.case_rules import Calendar

DAY_S = 86400.0

CASE_COLUMNS = (
    "case_id",
    "item",
    "region",
    "accepted_region",
    "submitted_on",
    "submitted_at",
    "status",
    "procedures",
    "documents",
    "baseline_procedures",
    "baseline_documents",
    "baseline_days",
    "promised_days",
    "paused_s",
    "last_decided_at",
    "decided_at",
    "elapsed_days",
)
TASK_COLUMNS = ("case_id", "department", "round", "due_at", "status", "decided_at", "on_time")
# What a fold may change in a row once it is stored; the other columns are set when it is made.
CASE_CHANGING = ("status", "procedures", "documents", "paused_s", "last_decided_at", "decided_at", "elapsed_days")
TASK_CHANGING = ("status", "decided_at", "on_time")
_CASE_CHANGING = frozenset(CASE_CHANGING)

TaskKey = tuple[str, str, int]  # case id, department, round

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


def utc(moment: str | datetime) -> str:
    """One fixed format for every stored time, so that they compare as text:
    2026-11-29T03:36:00.123456Z (isoformat, without its +00:00, is a third quicker than strftime)."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


class StatsFold:
    """Folds events into the rows as stored (`cases` by case id, `tasks` by key: every row of
    the cases the batch names); `new_*` and `changed_*` say what to insert and update."""

    def __init__(self, calendar: Calendar, cases: dict[str, dict[str, Any]], tasks: dict[TaskKey, dict[str, Any]]):
        self._calendar = calendar
        self.cases = cases
        self.tasks = tasks
        self.new_cases: set[str] = set()
        self.changed_cases: set[str] = set()
        self.new_tasks: set[TaskKey] = set()
        self.changed_tasks: set[TaskKey] = set()
        self._rounds: dict[tuple[str, str], list[TaskKey]] = {}
        for key in tasks:
            self._rounds.setdefault(key[:2], []).append(key)

    def fold(self, event: Any) -> None:
        if not isinstance(event, FOLDS):  # the one list, so that a rebuild skips the same events
            return
        case_id = str(event.originator_id)
        if isinstance(event, (Case.Opened, Case.ApplicationArrived)):
            self._opened(case_id, event.application)
        elif isinstance(event, Case.TaskOpened):
            self._open_task(case_id, event.department, event.round, event.due_at)
        elif isinstance(event, Case.DepartmentDecided):
            self._decided(case_id, event.decision)
        elif isinstance(event, Case.TaskCancelled):
            for task in self._undecided(case_id, event.department):
                task["status"] = "cancelled"
        elif isinstance(event, Case.SupplementRequested):
            self._change(case_id, status="supplement_required")
        elif isinstance(event, Case.SupplementProvided):
            self._supplied(case_id, event)
        elif isinstance(event, Case.AwaitingPromisedMaterials):
            self._change(case_id, status="awaiting_promised_materials")
        elif isinstance(event, (Case.Approved, Case.Rejected, Case.Withdrawn)):
            self._ended(case_id, type(event).__name__.lower(), event.timestamp)

    def _opened(self, case_id: str, application: dict[str, Any]) -> None:
        if case_id not in self.cases:  # the application again (a repeat) changes nothing
            baseline = application.get("baseline") or {}
            submitted_at = datetime.fromisoformat(application["submitted_at"])
            files = sum(1 for material in application["materials"] if material.get("sha256"))
            self.cases[case_id] = {
                "case_id": case_id,
                "item": application["item"],
                "region": application["region"],
                "accepted_region": application["accepted_region"],
                "submitted_on": submitted_at.astimezone(self._calendar.zone).date().isoformat(),
                "submitted_at": utc(submitted_at),
                "status": "submitted",
                "procedures": 1,
                "documents": files + len(application.get("promises", [])),
                "baseline_procedures": baseline.get("procedures"),
                "baseline_documents": baseline.get("documents"),
                "baseline_days": baseline.get("days"),
                "promised_days": application["promised_days"],
                "paused_s": 0.0,
                "last_decided_at": None,
                "decided_at": None,
                "elapsed_days": None,
            }
            self.new_cases.add(case_id)
        for step in application["route"]:
            if not step.get("needs"):
                self._open_task(case_id, step["department"], 1, step["due_at"])

    def _open_task(self, case_id: str, department: str, round_: int, due_at: str) -> None:
        key = (case_id, department, round_)
        if key in self.tasks:
            return
        self.tasks[key] = {
            "case_id": case_id,
            "department": department,
            "round": round_,
            "due_at": utc(due_at),
            "status": "pending",
            "decided_at": None,
            "on_time": None,
        }
        self.new_tasks.add(key)
        self._rounds.setdefault(key[:2], []).append(key)

    def _decided(self, case_id: str, decision: dict[str, Any]) -> None:
        decided_at = utc(decision["decided_at"])
        for task in self._undecided(case_id, decision["department"]):
            task.update(status=decision["outcome"], decided_at=decided_at, on_time=int(decided_at <= task["due_at"]))
        case = self.cases.get(case_id)
        if case is not None:
            status = "in_review" if case["status"] == "submitted" else case["status"]
            self._change(case_id, last_decided_at=decided_at, status=status)

    def _supplied(self, case_id: str, event: Any) -> None:
        case = self.cases.get(case_id)
        if case is None:
            return
        files = sum(1 for material in event.supplement.get("materials", []) if material.get("sha256"))
        answers_notice = getattr(event, "answers_notice", True)
        self._change(
            case_id,
            procedures=case["procedures"] + 1,
            documents=case["documents"] + files,
            paused_s=case["paused_s"] + event.paused_s,
            status="in_review" if case["status"] == "supplement_required" and answers_notice else case["status"],
        )

    def _ended(self, case_id: str, status: str, at: datetime) -> None:
        """The answer: elapsed working days from submission, less the time the clock was stopped."""
        case = self.cases.get(case_id)
        if case is None:
            return
        last_decided = case["last_decided_at"]
        ended = datetime.fromisoformat(last_decided) if last_decided and status != "withdrawn" else at
        working = self._calendar.working_time_between(datetime.fromisoformat(case["submitted_at"]), ended)
        elapsed = max(working.total_seconds() - case["paused_s"], 0.0) / DAY_S
        self._change(case_id, status=status, decided_at=utc(ended), elapsed_days=elapsed)

    def _undecided(self, case_id: str, department: str) -> list[dict[str, Any]]:
        """The department's task rows of the case not decided yet (each marked as changed)."""
        rows = []
        for key in self._rounds.get((case_id, department), []):
            if self.tasks[key]["decided_at"] is None:
                rows.append(self.tasks[key])
                if key not in self.new_tasks:
                    self.changed_tasks.add(key)
        return rows

    def _change(self, case_id: str, **values: Any) -> None:
        if not values.keys() <= _CASE_CHANGING:  # a stored row is updated by these columns only
            raise ValueError(f"a case row's {sorted(values.keys() - _CASE_CHANGING)} are set once, when it is made")
        case = self.cases.get(case_id)
        if case is None:
            return
        case.update(values)
        if case_id not in self.new_cases:
            self.changed_cases.add(case_id)

"""The rules the Case aggregate decides by, as pure functions over its plain state.

A department's part moves `waiting` (for licences another department issues) → `pending`
(its task is open) → `approved` | `rejected` | `supplement_required` (→ `pending` again, a
new round, once the applicant answered) or `cancelled` (the case ended without it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol
from uuid import UUID, uuid5

FINAL_STATES = frozenset({"approved", "rejected", "withdrawn"})
DECIDED = frozenset({"approved", "rejected", "supplement_required", "cancelled"})


class Calendar(Protocol):
    """The working-day calendar due times count on (see onestep_contracts.calendar)."""

    def add_working_days(self, start: datetime, days: float) -> datetime: ...

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime: ...

    def working_time_between(self, start: datetime, end: datetime) -> timedelta: ...

    @property
    def zone(self) -> tzinfo: ...


def next_round_task_id(first_task_id: str, round_: int) -> str:
    """A review after a supplement is a new task, so a late decision of the old one is told apart."""
    return str(uuid5(UUID(first_task_id), f"round-{round_}"))


def decision_refusal(status: str, parts: dict[str, dict[str, Any]], decision: dict[str, Any]) -> str | None:
    """Why a department's decision cannot be applied to the case now, or None if it can."""
    department = decision["department"]
    if status in FINAL_STATES:
        return f"the case is already {status}"
    part = parts.get(department)
    if part is None:
        return f"{department} is not on this case's route"
    if part["status"] == "waiting":
        return f"{department}'s task is not open yet: it waits for {', '.join(part['needs'])}"
    if decision.get("task_id") and decision["task_id"] != part["task_id"]:
        return f"task {decision['task_id']} is not {department}'s open task (round {part['round']})"
    if part["status"] in DECIDED:
        return f"{department} has already decided this task ({part['status']})"
    return None


def ready_to_open(parts: dict[str, dict[str, Any]], issued: set[str]) -> list[str]:
    """Waiting departments whose every needed approval has now been issued."""
    return [code for code, part in parts.items() if part["status"] == "waiting" and set(part["needs"]) <= issued]


def merge_supplement_requests(parts: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One notice from every department that asked for more, each missing thing listed once per department."""
    return [
        {"department": code, "missing": list(dict.fromkeys(part["missing"])), "reason": part.get("reason", "")}
        for code, part in parts.items()
        if part["status"] == "supplement_required"
    ]


def still_missing(
    requests: list[dict[str, Any]], materials: list[dict[str, Any]], answers: dict[str, Any]
) -> list[str]:
    """What the notice asked for that a supplement does not give (a material code or a form field)."""
    given = {material["code"] for material in materials} | set(answers)
    asked = dict.fromkeys(missing for request in requests for missing in request["missing"])
    return [missing for missing in asked if missing not in given]


def merge_materials(current: list[dict[str, Any]], supplied: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The case's materials after a supplement: a newly given material replaces the one of the same code."""
    replaced = {material["code"] for material in supplied}
    return [material for material in current if material["code"] not in replaced] + list(supplied)


def undecided(parts: dict[str, dict[str, Any]]) -> list[str]:
    """Departments whose task is open and not yet decided: a supplement notice waits for them."""
    return [code for code, part in parts.items() if part["status"] == "pending"]


# -- timers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """When the case's timers fall: a task's reminder `reminder_lead_days` working days before
    it is due (at most halfway through its promised time); its overdue mark when it is due; a
    supplement request that others have not joined within `supplement_window` goes out alone;
    a task no gateway has accepted within `routing_window` of opening is reported unroutable."""

    calendar: Calendar
    reminder_lead_days: float = 1.0
    supplement_window: timedelta = timedelta(minutes=30)
    routing_window: timedelta = timedelta(minutes=10)


def timer(kind: str, subject: str, at: datetime) -> dict[str, str]:
    """A timer's id (unique within its case) names what it is for and when, so a moved deadline
    makes a new timer and the old one, when it fires, is recognised as stale."""
    moment = at.isoformat()
    return {"id": f"{kind}:{subject}@{moment}", "kind": kind, "subject": subject, "at": moment}


# A task's timers follow from what does not change while it is open, so they are worked out once
# a task, not again at each change of its case (about 4 % of the ledger's CPU), for the tasks of
# the cases changed lately (a case's changes mostly come within seconds); a case changed again
# days later has them worked out anew. The timers handed out are shared: callers read them and
# copy them, never change them in place.


def task_timers(department: str, part: dict[str, Any], timing: Timing) -> tuple[dict[str, str], ...]:
    """The yellow reminder and the red overdue mark of an open task."""
    return _task_timers(department, part["task_id"], part["opened_at"], part["due_at"], part["promised_days"], timing)


@functools.lru_cache(maxsize=2048)
def _task_timers(
    department: str, task_id: str, opened_at: str, due_at: str, promised_days: float, timing: Timing
) -> tuple[dict[str, str], ...]:
    due = _at(due_at)
    lead = min(timing.reminder_lead_days, promised_days / 2)
    remind = min(timing.calendar.add_working_days(_at(opened_at), promised_days - lead), due)
    subject = f"{department}/{task_id}"
    return timer("reminder", subject, remind), timer("overdue", subject, due)


def routing_timer(department: str, part: dict[str, Any], timing: Timing) -> dict[str, str]:
    """When an open task that no gateway has accepted is reported unroutable (clock time: a
    gateway takes a task within seconds, on holidays too)."""
    return _routing_timer(department, part["task_id"], part["opened_at"], timing)


@functools.lru_cache(maxsize=2048)
def _routing_timer(department: str, task_id: str, opened_at: str, timing: Timing) -> dict[str, str]:
    return timer("unroutable", f"{department}/{task_id}", _at(opened_at) + timing.routing_window)


def supplement_window_timer(parts: dict[str, dict[str, Any]], timing: Timing) -> dict[str, str] | None:
    """When requests waiting for the other departments go out anyway: the window after the first."""
    asked = [_at(part["decided_at"]) for part in parts.values() if part["status"] == "supplement_required"]
    if not asked:
        return None
    return timer("supplement-window", "notice", min(asked) + timing.supplement_window)


def promise_timer(code: str, by: str, timing: Timing) -> dict[str, str]:
    """A promised material is missed once its day has ended in the province's time."""
    end_of_day = datetime.combine(date.fromisoformat(by) + timedelta(days=1), time(), timing.calendar.zone)
    return timer("promise-missed", code, end_of_day)


def _at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)

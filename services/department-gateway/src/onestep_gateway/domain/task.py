"""A department's task as its gateway records it: received from the case, handed to the
adapter, decided (at once by rules, later by an officer or the department's system) or
cancelled because the case ended.

Pure domain: plain values in and out. A decision that cannot be taken (the task was
cancelled or decided already) is recorded as refused with its reason, and changes nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

OPEN = ("received", "dispatched", "parked")


class DepartmentTask(Aggregate):
    class Received(Aggregate.Created):
        task: dict[str, Any]

    class CancelledBeforeReceived(Aggregate.Created):
        """The case ended before this gateway read the task (they travel on different topics):
        the task, when it comes, is not handed to the adapter."""

        task: dict[str, Any]
        reason: str

    class DecidedAtOnce(Aggregate.Created):
        """Received, handed to an adapter that decides from the task alone (`rules`) and
        decided, as one event: such a task is never open, and recording one event instead of
        three is a good part of what a rules gateway spends on a task."""

        task: dict[str, Any]
        adapter: str
        decision: dict[str, Any]

        @property
        def case_id(self) -> str:
            """As `Decided` carries it, so a decision is read the same way from either."""
            return self.task["case_id"]

    @staticmethod
    def create_id(task: dict[str, Any]) -> UUID:
        return UUID(task["task_id"])

    @classmethod
    def receive(cls, task: dict[str, Any]) -> DepartmentTask:
        return cls._create(cls.Received, task=task)

    @classmethod
    def decided_at_once(cls, task: dict[str, Any], adapter: str, decision: dict[str, Any]) -> DepartmentTask:
        return cls._create(cls.DecidedAtOnce, task=task, adapter=adapter, decision=decision)

    @classmethod
    def cancelled_unseen(cls, task_id: str, case_id: str, reason: str) -> DepartmentTask:
        return cls._create(cls.CancelledBeforeReceived, task={"task_id": task_id, "case_id": case_id}, reason=reason)

    def __init__(
        self,
        task: dict[str, Any],
        reason: str | None = None,
        adapter: str | None = None,
        decision: dict[str, Any] | None = None,
    ):
        self.task = task
        self.status = "cancelled" if reason is not None else "decided" if decision is not None else "received"
        self.decision = decision
        self.dispatched_to = adapter
        self.claimed_by: str | None = None
        self.park_reason: str | None = None
        self.cancel_reason = reason

    @property
    def task_id(self) -> str:
        return self.task["task_id"]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def dispatch(self, adapter: str) -> None:
        """The adapter has the task (a department system acknowledged it, or rules will decide)."""
        if self.status == "received":
            self._dispatched(adapter)

    def park(self, reason: str) -> None:
        """The adapter cannot take the task (the department's system refused it): it waits,
        visible, for someone to act; a cancellation or a decision still applies."""
        if self.status == "received":
            self._parked(reason)

    def redrive(self, by: str) -> str | None:
        """Hands a parked task to the adapter again (the cause was fixed); returns why not, or
        None when it goes back to the dispatcher."""
        if self.status != "parked":
            return f"the task is {self.status}, not parked"
        self._redriven(by, self.park_reason or "")
        return None

    def claim(self, officer: str) -> str | None:
        """An officer takes the task to review it; returns why not, or None when claimed."""
        if not self.is_open:
            return f"the task is {self.status}"
        if self.claimed_by not in (None, officer):
            return f"the task is claimed by {self.claimed_by}"
        if self.claimed_by is None:
            self._claimed(officer)
        return None

    def decide(self, decision: dict[str, Any], officer: str | None = None) -> str | None:
        """Takes the department's decision; returns why it is refused, or None when taken. An
        officer may decide a task nobody claimed, or one they claimed themselves."""
        reason = None
        if not self.is_open:
            reason = f"the task is {self.status}"
        elif officer is not None and self.claimed_by not in (None, officer):
            reason = f"the task is claimed by {self.claimed_by}"
        if reason:
            self._decision_refused(decision, reason)
            return reason
        self._decided(decision, self.task["case_id"])
        return None

    def cancel(self, reason: str) -> None:
        """The case ended while the task was open; a decided task stays decided."""
        if self.is_open:
            self._cancelled(reason, self.status == "dispatched")  # a parked task never reached the adapter

    @event("Dispatched")
    def _dispatched(self, adapter: str) -> None:
        self.status = "dispatched"
        self.dispatched_to = adapter

    @event("Parked")
    def _parked(self, reason: str) -> None:
        self.status = "parked"
        self.park_reason = reason

    @event("Redriven")
    def _redriven(self, by: str, park_reason: str) -> None:
        self.status = "received"
        self.park_reason = None

    @event("Claimed")
    def _claimed(self, officer: str) -> None:
        self.claimed_by = officer

    @event("Decided")
    def _decided(self, decision: dict[str, Any], case_id: str) -> None:
        self.status = "decided"
        self.decision = decision

    @event("DecisionRefused")
    def _decision_refused(self, decision: dict[str, Any], reason: str) -> None:
        pass

    @event("Cancelled")
    def _cancelled(self, reason: str, was_dispatched: bool) -> None:
        self.status = "cancelled"
        self.cancel_reason = reason


def decided_among(domain_events: list[Any]) -> set[UUID]:
    """The tasks a run of stored events decides (an adapter that decides at once records the
    decision with the receipt, as one event since `DecidedAtOnce`, as three in stores written
    before): their receipts need no hand-over and no acceptance of their own."""
    return {e.originator_id for e in domain_events if isinstance(e, DECIDED)}


# The events that decide a task: at once (one event), or after it was received and handed over.
DECIDED = (DepartmentTask.DecidedAtOnce, DepartmentTask.Decided)

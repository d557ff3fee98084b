"""The interface a department adapter implements, in whatever package the department ships.

A gateway hands each task for its department to one adapter. An adapter that can decide at
once returns the decision; one that hands the task to the department's own system returns
None, and the decision comes back later. An adapter whose decisions need nothing but the task
(no I/O, no waiting) can say so with `decide_at_once`: the gateway then decides each task in
the transaction that records it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .events import ContractModel, Licence, MaterialRef, Outcome


class Task(ContractModel):
    """One department's part of one case. A review after a supplement is a new round with a
    new task_id; `licences` are the electronic licences other departments issued that this
    department needs (the applicant is not asked for them)."""

    task_id: str
    round: int = 1
    case_id: str
    department: str
    item: str
    item_version: int
    region: str
    accepted_region: str
    form: dict[str, Any]
    materials: list[MaterialRef]
    approvals: list[str]
    licences: list[Licence] = []
    due_at: datetime


class Decision(ContractModel):
    outcome: Outcome
    reason: str = ""
    licences: list[Licence] = []
    missing: list[str] = []
    decided_by: str


class DepartmentRefused(Exception):
    """Raised by an adapter when the department's system refuses a task (an HTTP 4xx, say):
    the gateway parks the task visibly instead of retrying it."""


class DepartmentAdapter(Protocol):
    """Registered under the entry-point group `onestep.gateway_adapters`; the gateway builds
    it with `from_config(<department config file>)`."""

    name: str

    @classmethod
    def from_config(cls, path: Path) -> DepartmentAdapter: ...

    async def submit(self, task: Task) -> Decision | None:
        """Takes the task; returns its decision if it is made at once, else None."""
        ...

    async def cancel(self, task_id: str, reason: str) -> None:
        """The case ended (rejected elsewhere, withdrawn) while the task was open: drop it."""
        ...


@runtime_checkable
class DecidesAtOnce(Protocol):
    """What an adapter like `rules` adds: a decision from the task alone, quick and without I/O
    (it runs while the gateway records the poll that brought the task). The gateway records
    such a task decided with its receipt and never hands it to `submit`; the decision is
    published alone, and says which gateway took the task."""

    def decide_at_once(self, task: Task) -> Decision: ...

"""The interface a department adapter implements, in whatever package the department ships.

A gateway hands each task for its department to one adapter. An adapter that can decide at
once returns the decision; one that hands the task to the department's own system returns
None, and the decision comes back later.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from .events import ContractModel, Licence, MaterialRef, Outcome


class Task(ContractModel):
    """One department's part of one case."""

    task_id: str
    case_id: str
    department: str
    item: str
    item_version: int
    region: str
    accepted_region: str
    form: dict[str, Any]
    materials: list[MaterialRef]
    approvals: list[str]
    due_at: datetime


class Decision(ContractModel):
    outcome: Outcome
    reason: str = ""
    licences: list[Licence] = []
    missing: list[str] = []
    decided_by: str


class DepartmentAdapter(Protocol):
    """Registered under the entry-point group `onestep.gateway_adapters`; the gateway builds
    it with `from_config(<department config file>)`."""

    name: str

    @classmethod
    def from_config(cls, path: Path) -> DepartmentAdapter: ...

    async def submit(self, task: Task) -> Decision | None:
        """Takes the task; returns its decision if it is made at once, else None."""
        ...

"""The `desk` adapter: for a department without a system of its own. Tasks wait on the
gateway's review desk (`/v1/tasks`), where the department's officers claim and decide them."""

from __future__ import annotations

from pathlib import Path

from onestep_contracts.adapters import Decision, Task


class DeskAdapter:
    name = "desk"

    @classmethod
    def from_config(cls, path: Path) -> DeskAdapter:
        return cls()

    async def submit(self, task: Task) -> Decision | None:
        """The task waits for an officer: the desk lists it from the gateway's record."""
        return None

    async def cancel(self, task_id: str, reason: str) -> None:
        """Nothing to tell: a cancelled task leaves the desk's list with the record."""

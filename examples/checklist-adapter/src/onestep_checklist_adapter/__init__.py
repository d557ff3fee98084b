"""A department's own adapter, as a department would ship one in its own package: it depends
only on onestep's contracts and registers itself under the entry-point group
`onestep.gateway_adapters` (see pyproject.toml).

It decides at once: a task is approved when every required material was given or every
required approval arrived as an e-licence; otherwise the applicant is asked for what is missing.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from onestep_contracts import Licence
from onestep_contracts.adapters import Decision, Task


class ChecklistConfig(BaseModel):
    department: str
    required: list[str] = Field(description="material codes, or approvals given as e-licences")
    licence_prefix: str = Field(min_length=1, max_length=8)


class ChecklistAdapter:
    name = "checklist"

    def __init__(self, config: ChecklistConfig):
        self._config = config

    @classmethod
    def from_config(cls, path: Path) -> ChecklistAdapter:
        return cls(ChecklistConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))))

    async def submit(self, task: Task) -> Decision:
        given = {material.code for material in task.materials} | {licence.approval for licence in task.licences}
        missing = [code for code in self._config.required if code not in given]
        if missing:
            return Decision(
                outcome="supplement_required",
                reason="the checklist is not complete",
                missing=missing,
                decided_by="checklist",
            )
        licences = [
            Licence(
                department=task.department,
                approval=approval,
                number=f"{self._config.licence_prefix}{task.region}{task.task_id[:8].upper()}",
            )
            for approval in task.approvals
        ]
        return Decision(outcome="approved", reason="checklist complete", licences=licences, decided_by="checklist")

    async def cancel(self, task_id: str, reason: str) -> None:
        """Decisions are made at once, so no task is ever still open here."""

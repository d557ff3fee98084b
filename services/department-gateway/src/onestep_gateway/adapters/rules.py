"""The `rules` adapter: decides at once from declarative rules in the department's config.

Config (YAML): `rules` is a list of {when: <CEL over `form` and `materials` (the codes
given)>, outcome, reason, missing}; the first rule
that holds decides; an application no rule stops is approved, each approval with a licence
number from `licence_prefixes`.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field

from onestep_contracts import Licence
from onestep_contracts.adapters import Decision, Task
from onestep_contracts.events import ContractModel, Outcome
from onestep_contracts.expressions import Condition, Facts

from ..domain.tasks import licence_number


class Rule(ContractModel):
    when: str
    outcome: Outcome
    reason: str
    missing: list[str] = []


class RulesConfig(ContractModel):
    department: str
    rules: list[Rule] = []
    licence_prefixes: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path) -> RulesConfig:
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


class RulesAdapter:
    name = "rules"

    def __init__(self, config: RulesConfig):
        self._config = config
        self._rules = [(Condition(rule.when), rule) for rule in config.rules]
        self._conditions = [condition for condition, _ in self._rules]

    @classmethod
    def from_config(cls, path: Path) -> RulesAdapter:
        return cls(RulesConfig.from_file(path))

    async def submit(self, task: Task) -> Decision:
        return self.decide_at_once(task)

    def decide_at_once(self, task: Task) -> Decision:
        """Rules need nothing but the task: the gateway decides it as it records it."""
        facts = Facts(task.form, read_by=self._conditions, materials=[material.code for material in task.materials])
        for condition, rule in self._rules:
            if condition.holds(facts):
                return Decision(outcome=rule.outcome, reason=rule.reason, missing=rule.missing, decided_by="rules")
        licences = [
            Licence(
                department=task.department,
                approval=approval,
                number=licence_number(self._config.licence_prefixes.get(approval, "LIC"), task.region, task.task_id),
            )
            for approval in task.approvals
        ]
        return Decision(outcome="approved", reason="meets every rule", licences=licences, decided_by="rules")

    async def cancel(self, task_id: str, reason: str) -> None:
        """Rules decide at once, so no task of theirs is ever still open."""

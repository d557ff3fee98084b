"""Catalogue models: the "one thing" an applicant asks for, as data files (YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import Field, ValidationError, model_validator

from .errors import ContractError
from .events import ContractModel
from .expressions import Condition


class Title(ContractModel):
    zh: str
    en: str


class Department(ContractModel):
    code: str
    title: Title


class Material(ContractModel):
    code: str
    title: Title
    required: bool = True


class Approval(ContractModel):
    code: str
    title: Title


class DepartmentPart(ContractModel):
    """What one department grants for an item, and when it takes part."""

    department: str
    approvals: list[Approval] = Field(min_length=1)
    reads: list[str] = Field(description="codes of the item's materials this department reads")
    promised_days: int = Field(gt=0)
    condition: str | None = Field(default=None, description="CEL over `form`; absent means always")

    def applies_to(self, form: dict[str, Any]) -> bool:
        return self.condition is None or Condition(self.condition).holds(form)


class Baseline(ContractModel):
    """The separate procedures before the reform, to measure the cut per case."""

    procedures: int
    documents: int
    days: int
    visits: int


class Item(ContractModel):
    code: str
    version: int = Field(ge=1)
    title: Title
    form_schema: dict[str, Any]
    materials: list[Material]
    departments: list[DepartmentPart] = Field(min_length=1)
    promised_days: int = Field(gt=0)
    baseline: Baseline

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        problems: list[str] = []
        material_codes = [material.code for material in self.materials]
        if len(set(material_codes)) != len(material_codes):
            problems.append("a material is listed twice")
        for part in self.departments:
            unknown = set(part.reads) - set(material_codes)
            if unknown:
                problems.append(f"{part.department} reads unlisted materials {sorted(unknown)}")
            if part.condition is not None:
                try:
                    Condition(part.condition)
                except ContractError as exc:
                    problems.append(str(exc))
        try:
            Draft202012Validator.check_schema(self.form_schema)
        except SchemaError as exc:
            problems.append(f"form schema does not compile: {exc.message}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Catalogue:
    """Every item version, and the departments they name. The highest version is in force."""

    def __init__(self, items: list[Item], departments: list[Department]):
        self.departments = {department.code: department for department in departments}
        self._versions: dict[str, dict[int, Item]] = {}
        for item in items:
            self._versions.setdefault(item.code, {})[item.version] = item
        for item in items:
            unknown = {part.department for part in item.departments} - set(self.departments)
            if unknown:
                raise ContractError(f"{item.code} v{item.version} names unknown departments {sorted(unknown)}")

    def in_force(self) -> list[Item]:
        return [versions[max(versions)] for _, versions in sorted(self._versions.items())]

    def item(self, code: str) -> Item | None:
        versions = self._versions.get(code)
        return versions[max(versions)] if versions else None


def load_catalogue(directory: Path | str) -> Catalogue:
    """Reads `departments.yaml` and every `items/**/*.yaml` below the directory."""
    root = Path(directory)
    try:
        departments_doc = yaml.safe_load((root / "departments.yaml").read_text(encoding="utf-8"))
        departments = [Department.model_validate(entry) for entry in departments_doc["departments"]]
        items = [
            Item.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
            for path in sorted((root / "items").rglob("*.yaml"))
        ]
    except (OSError, yaml.YAMLError, KeyError, ValidationError) as exc:
        raise ContractError(f"catalogue at {root} cannot be loaded: {exc}") from exc
    return Catalogue(items, departments)

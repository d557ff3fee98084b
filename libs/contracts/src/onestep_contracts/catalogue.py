"""Catalogue models: the "one thing" an applicant asks for, as data files (YAML).

A catalogue directory holds `departments.yaml` and `materials.yaml` (the registries every
item names from, so a material is listed once across the province) and `items/**/*.yaml`
(one file per item version). `check_catalogue` lists every problem of a directory;
`load_catalogue` refuses a catalogue that has any.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from .catalogue_rules import item_problems
from .errors import ContractError
from .events import Baseline, ContractModel
from .expressions import Condition, Facts


class Title(ContractModel):
    zh: str
    en: str


class Department(ContractModel):
    code: str
    title: Title


class MaterialKind(ContractModel):
    """A material in the province's registry. `licence` names the approval whose electronic
    licence may stand in for the file (an applicant who holds it gives its number)."""

    code: str
    title: Title
    licence: str | None = None


class Material(ContractModel):
    """A material as one item asks for it."""

    code: str
    title: Title | None = Field(default=None, description="from the registry when absent")
    required: bool = True
    promisable: bool = Field(default=False, description="may be promised by a date instead of given now")
    licence: str | None = Field(default=None, description="from the registry: an e-licence that stands in for it")


class Approval(ContractModel):
    code: str
    title: Title


class DepartmentPart(ContractModel):
    """What one department grants for an item, and when it takes part."""

    department: str
    approvals: list[Approval] = Field(min_length=1)
    reads: list[str] = Field(description="codes of the item's materials this department reads")
    needs: list[str] = Field(
        default=[],
        description="approval codes issued by other departments of the item that this one needs first; "
        "they reach it as electronic licences",
    )
    promised_days: int = Field(gt=0, description="working days promised to the applicant")
    legal_days: int | None = Field(default=None, gt=0, description="working days the law allows")
    condition: str | None = Field(default=None, description="CEL over `form`; absent means always")

    def applies_to(self, form: dict[str, Any] | Facts) -> bool:
        return self.condition is None or Condition(self.condition).holds(form)


class Item(ContractModel):
    code: str
    version: int = Field(ge=1)
    title: Title
    form_schema: dict[str, Any]
    materials: list[Material]
    departments: list[DepartmentPart] = Field(min_length=1)
    promised_days: int = Field(gt=0)
    legal_days: int | None = Field(default=None, gt=0)
    baseline: Baseline

    def part(self, department: str) -> DepartmentPart | None:
        return next((part for part in self.departments if part.department == department), None)

    def material(self, code: str) -> Material | None:
        return next((material for material in self.materials if material.code == code), None)


class Catalogue:
    """Every item version, and the registries they name from. The highest version is in force."""

    def __init__(self, items: list[Item], departments: list[Department], materials: list[MaterialKind]):
        problems = registry_problems(items, departments, materials)
        if problems:
            raise ContractError("; ".join(problems))
        self.departments = {department.code: department for department in departments}
        self.materials = {kind.code: kind for kind in materials}
        self._versions: dict[str, dict[int, Item]] = {}
        for item in items:
            self._versions.setdefault(item.code, {})[item.version] = self._with_registry(item)

    def in_force(self) -> list[Item]:
        return [versions[max(versions)] for _, versions in sorted(self._versions.items())]

    def item(self, code: str, version: int | None = None) -> Item | None:
        versions = self._versions.get(code)
        if not versions:
            return None
        return versions.get(version) if version is not None else versions[max(versions)]

    def _with_registry(self, item: Item) -> Item:
        materials = [
            material.model_copy(
                update={
                    "title": material.title or self.materials[material.code].title,
                    "licence": material.licence or self.materials[material.code].licence,
                }
            )
            for material in item.materials
        ]
        return item.model_copy(update={"materials": materials})


def registry_problems(items: list[Item], departments: list[Department], materials: list[MaterialKind]) -> list[str]:
    """What items name that the registries do not hold."""
    department_codes = {department.code for department in departments}
    material_codes = {kind.code for kind in materials}
    approvals = {approval.code for item in items for part in item.departments for approval in part.approvals}
    problems = [
        f"material {kind.code} stands in for {kind.licence!r}, which no item grants"
        for kind in materials
        if kind.licence and kind.licence not in approvals
    ]
    for item in items:
        where = f"{item.code} v{item.version}"
        unknown_departments = {part.department for part in item.departments} - department_codes
        if unknown_departments:
            problems.append(f"{where} names unknown departments {sorted(unknown_departments)}")
        unknown_materials = {material.code for material in item.materials} - material_codes
        if unknown_materials:
            problems.append(f"{where} lists unknown materials {sorted(unknown_materials)} (see materials.yaml)")
    return problems


def _read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def check_catalogue(directory: Path | str) -> tuple[Catalogue | None, list[str]]:
    """The catalogue and every problem found in the directory (the catalogue is None if any)."""
    root = Path(directory)
    problems: list[str] = []
    registries: dict[str, list[Any]] = {}
    for name, model, key in (("departments", Department, "departments"), ("materials", MaterialKind, "materials")):
        try:
            registries[name] = [model.model_validate(entry) for entry in _read_yaml(root / f"{name}.yaml")[key]]
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValidationError) as exc:
            problems.append(f"{name}.yaml: {exc}")
            registries[name] = []
    items: list[Item] = []
    for path in sorted((root / "items").rglob("*.yaml")):
        where = path.relative_to(root)
        try:
            item = Item.model_validate(_read_yaml(path))
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{where}: {exc}")
            continue
        except ValidationError as exc:
            problems += [f"{where}: {_location(error)}{error['msg']}" for error in exc.errors()]
            continue
        problems += [f"{where}: {problem}" for problem in item_problems(item)]
        items.append(item)
    problems += registry_problems(items, registries["departments"], registries["materials"])
    if problems:
        return None, problems
    return Catalogue(items, registries["departments"], registries["materials"]), []


def _location(error: Any) -> str:
    location = "/".join(str(part) for part in error["loc"])
    return f"{location}: " if location else ""


def load_catalogue(directory: Path | str) -> Catalogue:
    """Reads the catalogue directory; refuses it, listing every problem, if it has any."""
    catalogue, problems = check_catalogue(directory)
    if catalogue is None:
        raise ContractError(f"catalogue at {directory} has problems: " + "; ".join(problems))
    return catalogue

"""The rules an item must keep, checked when the catalogue is loaded (`catalogue check`),
so that a mistake in a data file is found before any application meets it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .errors import ContractError
from .expressions import Condition

if TYPE_CHECKING:
    from .catalogue import Item

FORM_FIELD = re.compile(r"\bform\.([A-Za-z_][A-Za-z0-9_]*)")


def item_problems(item: Item) -> list[str]:
    problems: list[str] = []
    try:
        Draft202012Validator.check_schema(item.form_schema)
    except SchemaError as exc:
        problems.append(f"form schema does not compile: {exc.message}")
    material_codes = [material.code for material in item.materials]
    if len(set(material_codes)) != len(material_codes):
        problems.append("a material is listed twice")
    departments = [part.department for part in item.departments]
    if len(set(departments)) != len(departments):
        problems.append("a department has two parts; give it one part with several approvals")
    for material in item.materials:
        if material.promisable and not material.required:
            problems.append(f"material {material.code} is promisable but not required")
    for part in item.departments:
        unknown = set(part.reads) - set(material_codes)
        if unknown:
            problems.append(f"{part.department} reads unlisted materials {sorted(unknown)}")
        if part.condition is not None:
            problems += condition_problems(part.department, part.condition, item.form_schema)
    problems += dependency_problems(item)
    return problems


def dependency_problems(item: Item) -> list[str]:
    """Each needed approval is granted by another, unconditional department; no cycles."""
    granted_by = {approval.code: part for part in item.departments for approval in part.approvals}
    problems = []
    for part in item.departments:
        for need in part.needs:
            provider = granted_by.get(need)
            if provider is None:
                problems.append(f"{part.department} needs {need!r}, which no department of the item grants")
            elif provider.department == part.department:
                problems.append(f"{part.department} needs its own approval {need!r}")
            elif provider.condition is not None:
                problems.append(
                    f"{part.department} needs {need!r} from {provider.department}, which takes part only "
                    f"when {provider.condition}; a prerequisite must always be on the route"
                )
    if not problems and (cycle := _cycle(item, granted_by)):
        problems.append("departments need each other in a cycle: " + " -> ".join(cycle))
    return problems


def _cycle(item: Item, granted_by: dict[str, Any]) -> list[str] | None:
    needs = {part.department: [granted_by[need].department for need in part.needs] for part in item.departments}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(department: str) -> list[str] | None:
        if department in visiting:
            return [*visiting[visiting.index(department) :], department]
        if department in done:
            return None
        visiting.append(department)
        for prerequisite in needs[department]:
            if found := visit(prerequisite):
                return found
        visiting.pop()
        done.add(department)
        return None

    return next((found for department in needs if (found := visit(department))), None)


def condition_problems(department: str, source: str, form_schema: dict[str, Any]) -> list[str]:
    """A condition must compile, name only fields of the form, and give true/false on any form
    the schema allows (CEL does not compare a number with a text, so `form.area > '200'` fails
    on every form: it is caught here, not at run time)."""
    try:
        condition = Condition(source)
    except ContractError as exc:
        return [f"{department}: {exc}"]
    properties = form_schema.get("properties", {})
    unknown = sorted(set(FORM_FIELD.findall(source)) - set(properties))
    if unknown:
        return [f"{department}: condition {source!r} reads {unknown}, which the form does not have"]
    problems = []
    for sample in sample_forms(properties):
        try:
            condition.evaluate_strictly(sample)
        except ContractError as exc:
            problems.append(f"{department}: {exc} (on the form {sample})")
            break
    return problems


def sample_forms(properties: dict[str, Any]) -> list[dict[str, Any]]:
    """Forms with every field present: one with whole numbers, one with fractions."""
    return [{name: _sample(spec, whole) for name, spec in properties.items()} for whole in (True, False)]


def _sample(spec: dict[str, Any], whole: bool) -> Any:
    if "enum" in spec:
        return spec["enum"][0]
    kind = spec.get("type")
    if kind == "integer":
        return 1
    if kind == "number":
        return 1 if whole else 1.5
    if kind == "boolean":
        return True
    if kind == "string":
        return "x"
    if kind == "array":
        return []
    return {}

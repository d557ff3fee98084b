"""Checks of an application against its item: every problem is found, not just the first."""

from typing import Any

from jsonschema import Draft202012Validator

from onestep_contracts.catalogue import Item


def form_problems(item: Item, form: Any) -> list[tuple[str, str]]:
    """(JSON pointer, message) for each way the form breaks the item's unified form schema."""
    if not isinstance(form, dict):
        return [("#/form", "must be an object")]
    validator = Draft202012Validator(item.form_schema)
    problems = []
    for error in sorted(validator.iter_errors(form), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(part) for part in error.absolute_path)
        problems.append((f"#/form/{path}" if path else "#/form", error.message))
    return problems


def material_problems(
    item: Item, given: list[dict[str, Any]], needed: list[str], stored: set[str]
) -> list[tuple[str, str]]:
    """Unknown, repeated, unstored and missing materials."""
    problems = []
    known = {material.code for material in item.materials}
    seen: set[str] = set()
    for index, material in enumerate(given):
        code = material.get("code")
        if code not in known:
            problems.append((f"#/materials/{index}/code", f"{code!r} is not a material of {item.code}"))
        elif code in seen:
            problems.append((f"#/materials/{index}/code", f"{code!r} is given twice"))
        seen.add(code)
        if material.get("sha256") not in stored:
            problems.append(
                (f"#/materials/{index}/sha256", "no uploaded file has this sha256; POST it to /v1/materials first")
            )
    for code in needed:
        if code not in seen:
            problems.append(("#/materials", f"missing required material {code!r}"))
    return problems

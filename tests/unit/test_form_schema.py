"""A form is judged by intake's two validators exactly as by python-jsonschema alone: for every
item version of the catalogue, a valid form and a broken one for each way a field can break."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from onestep_contracts.catalogue import load_catalogue
from onestep_intake.domain.checks import FormSchema

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "catalogue")
VERSIONS = [item for versions in CATALOGUE._versions.values() for item in versions.values()]
WRONG_TYPE = {"string": 12, "integer": "12", "number": "1.5", "boolean": "yes", "array": "a", "object": []}


def value_for(field: dict[str, Any]) -> Any:
    if "examples" in field:
        return field["examples"][0]
    if "enum" in field:
        return field["enum"][0]
    kind = field.get("type")
    if kind == "string":
        return "2026-11-29" if field.get("format") == "date" else "x" * max(field.get("minLength", 1), 1)
    if kind in ("integer", "number"):
        low = field.get("minimum", field.get("exclusiveMinimum", 0) + 1)
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return True
    if kind == "array":
        items = field.get("items", {})
        values = items.get("enum") or [f"v{n}" for n in range(field.get("minItems", 1))]
        return list(values[: max(field.get("minItems", 1), 1)])
    raise AssertionError(f"no value for {field}")


def valid_form(schema: dict[str, Any]) -> dict[str, Any]:
    return {name: value_for(field) for name, field in schema["properties"].items()}


def broken_forms(schema: dict[str, Any]) -> list[dict[str, Any]]:
    base = valid_form(schema)
    forms = [{**base, "not_in_the_schema": 1}, {}]
    for name, field in schema["properties"].items():
        kind = field.get("type")
        changes = [WRONG_TYPE.get(kind), None]
        if "minLength" in field:
            changes.append("x" * (field["minLength"] - 1))
        if "maxLength" in field:
            changes.append("x" * (field["maxLength"] + 1))
        for bound, step in (("minimum", -1), ("maximum", 1), ("exclusiveMinimum", 0)):
            if bound in field:
                changes.append(field[bound] + step)
        if field.get("format") == "date":
            changes += ["2026-02-30", "29/11/2026", "2026-11-29T10:00:00"]
        if "enum" in field:
            changes.append("not one of them")
        if kind == "array":
            changes += [[], [base[name][0], base[name][0]], ["not one of them"]]
        if "pattern" in field:
            changes.append("does not match")
        for change in changes:
            form = copy.deepcopy(base)
            form[name] = change
            forms.append(form)
        missing = copy.deepcopy(base)
        del missing[name]
        forms.append(missing)
    return forms


def worded(schema: dict[str, Any], form: dict[str, Any]) -> list[tuple[str, str]]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(form), key=lambda e: list(e.absolute_path))
    return [(("#/form/" + "/".join(map(str, e.absolute_path))).rstrip("/"), e.message) for e in errors]


@pytest.mark.parametrize("item", VERSIONS, ids=lambda item: f"{item.code}-v{item.version}")
def test_both_validators_judge_every_form_as_python_jsonschema_does(item):
    schema = FormSchema(item.form_schema)
    valid = valid_form(item.form_schema)
    assert worded(item.form_schema, valid) == [] and schema.problems(valid) == []
    broken = broken_forms(item.form_schema)
    for form in broken:
        assert schema.problems(form) == worded(item.form_schema, form), form
    assert sum(1 for form in broken if worded(item.form_schema, form)) >= len(broken) - 1

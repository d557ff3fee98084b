"""Checks of an application against its item: every problem is found, not just the first."""

from datetime import date, timedelta
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator

from onestep_contracts.catalogue import Item

LONGEST_PROMISE = timedelta(days=180)


class FormSchema:
    """An item version's form schema, checked twice over: the Rust validator answers whether a
    form is valid in under a microsecond (python-jsonschema took about 70 µs, a tenth of an
    application's handling), and python-jsonschema words the problems of an invalid one, as
    the API has always worded them. Both check formats (`date`); a form the Rust validator
    refuses and python-jsonschema accepts is accepted."""

    def __init__(self, schema: dict[str, Any]):
        self._quick = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
        self._worded = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def problems(self, form: Any) -> list[tuple[str, str]]:
        if self._quick.is_valid(form):
            return []
        problems = []
        for error in sorted(self._worded.iter_errors(form), key=lambda e: list(e.absolute_path)):
            path = "/".join(str(part) for part in error.absolute_path)
            problems.append((f"#/form/{path}" if path else "#/form", error.message))
        return problems


_SCHEMAS: dict[tuple[str, int], FormSchema] = {}


def _schema(item: Item) -> FormSchema:
    """One per item version: a version never changes, so neither does its schema."""
    key = (item.code, item.version)
    if (schema := _SCHEMAS.get(key)) is None:
        schema = _SCHEMAS[key] = FormSchema(item.form_schema)
    return schema


def form_problems(item: Item, form: Any) -> list[tuple[str, str]]:
    """(JSON pointer, message) for each way the form breaks the item's unified form schema."""
    if not isinstance(form, dict):
        return [("#/form", "must be an object")]
    return _schema(item).problems(form)


def material_problems(
    item: Item, given: list[dict[str, Any]], needed: list[str], stored: set[str], promised: set[str] = frozenset()
) -> list[tuple[str, str]]:
    """Unknown, repeated, unstored and missing materials, and e-licences the item does not take."""
    problems = []
    seen: set[str] = set()
    for index, material in enumerate(given):
        code = material.get("code")
        listed = item.material(code) if isinstance(code, str) else None
        if listed is None:
            problems.append((f"#/materials/{index}/code", f"{code!r} is not a material of {item.code}"))
        elif code in seen:
            problems.append((f"#/materials/{index}/code", f"{code!r} is given twice"))
        seen.add(code)
        if material.get("licence") is not None:
            if listed is not None and listed.licence is None:
                problems.append(
                    (f"#/materials/{index}/licence", f"{code!r} cannot be given as an e-licence; upload the file")
                )
        elif material.get("sha256") not in stored:
            problems.append(
                (f"#/materials/{index}/sha256", "no uploaded file has this sha256; POST it to /v1/materials first")
            )
    for code in needed:
        if code not in seen and code not in promised:
            problems.append(("#/materials", f"missing required material {code!r}"))
    return problems


def promise_problems(item: Item, promises: Any, given: list[dict[str, Any]], today: date) -> list[tuple[str, str]]:
    """A promise must name a promisable material of the item not also given, by a date to come."""
    if promises is None:
        return []
    if not isinstance(promises, list):
        return [("#/promises", "must be a list of {code, by}")]
    problems = []
    given_codes = {material.get("code") for material in given}
    for index, promise in enumerate(promises):
        if not isinstance(promise, dict):
            continue  # the body's shape check reports it
        code, by = promise.get("code"), promise.get("by")
        listed = item.material(code) if isinstance(code, str) else None
        if listed is None or not listed.promisable:
            problems.append((f"#/promises/{index}/code", f"{code!r} cannot be promised for {item.code}"))
        elif code in given_codes:
            problems.append((f"#/promises/{index}/code", f"{code!r} is both given and promised"))
        try:
            due = date.fromisoformat(by) if isinstance(by, str) else None
        except ValueError:
            due = None
        if due is not None and not today < due <= today + LONGEST_PROMISE:
            problems.append((f"#/promises/{index}/by", f"must be after {today} and within {LONGEST_PROMISE.days} days"))
    return problems

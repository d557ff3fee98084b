"""Conditions and rules over form answers, in CEL (Common Expression Language).

CEL is declarative and side-effect free: a catalogue author can write
`form.seats > 50 || form.floor_area_m2 > 200` and nothing in it can run code.

The evaluator is `common-expression-language`, bindings to the Rust implementation of CEL: an
application's route conditions and a department's rules cost about 18 µs together, against
140 µs with the pure-Python `cel-python` (whose per-evaluation activation was about an eighth
of a gateway's CPU). It follows the current CEL specification, which compares numbers of
different kinds (`form.area > 200.0` holds for a form that says 250).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

import cel

from .errors import ContractError


class _EvaluationFailed(ContractError):
    """The expression met a value it cannot handle (a missing field, a type mismatch)."""


class _Compiled(NamedTuple):
    program: Any
    variables: frozenset[str]  # the names it reads (`form`, `materials`)
    form_fields: frozenset[str] | None  # the form's fields it reads; None: it may read any


@functools.lru_cache(maxsize=4096)
def _compiled(source: str) -> _Compiled:
    # Catalogue conditions are few and reused: each is parsed and read once.
    try:
        program = cel.compile(source)
    except Exception as exc:  # a syntax error is a ValueError with the position marked
        raise ContractError(f"invalid condition {source!r}: {exc}") from exc
    return _Compiled(program, frozenset(program.variables()), _form_fields(source))


# `form.name` not followed by a call (`form.all(...)` is a macro over the whole form).
_FORM_FIELD = re.compile(r"\bform\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")
_FORM = re.compile(r"\bform\b")


def _form_fields(source: str) -> frozenset[str] | None:
    """The form's fields the expression reads, or None when it may read any (it names the form
    in another way: `form["x"]`, `size(form)`, a macro, the word in a string)."""
    fields = _FORM_FIELD.findall(source)
    return frozenset(fields) if len(fields) == len(_FORM.findall(source)) else None


class Facts:
    """A form (and any other named values) converted to CEL once, for evaluating several
    conditions over it. Used by one thread at a time, as the evaluator's contexts must be.

    `read_by`: the conditions to be evaluated, when known. Only what they read is converted
    (about 2 µs a value: a form's other fields, the materials when no condition reads them)."""

    def __init__(self, form: dict[str, Any], read_by: Iterable[Condition] | None = None, **context: Any):
        variables = {"form": form, **context}
        if read_by is not None:
            variables = _read_by(variables, list(read_by))
        self.context = cel.Context(variables=variables)


def _read_by(variables: dict[str, Any], conditions: list[Condition]) -> dict[str, Any]:
    names = set().union(*(condition.variables for condition in conditions))
    read = {name: value for name, value in variables.items() if name in names}
    if "form" in read and all(condition.form_fields is not None for condition in conditions):
        fields = set().union(*(condition.form_fields for condition in conditions))
        read["form"] = {name: value for name, value in variables["form"].items() if name in fields}
    return read


class Condition:
    """A compiled CEL expression that evaluates to true or false over a form."""

    def __init__(self, source: str):
        self.source = source
        self._program, self.variables, self.form_fields = _compiled(source)

    def holds(self, form: dict[str, Any] | Facts, **context: Any) -> bool:
        """True when the expression holds; a missing form field makes it false."""
        try:
            return self.evaluate_strictly(form, **context)
        except _EvaluationFailed:
            return False

    def evaluate_strictly(self, form: dict[str, Any] | Facts, **context: Any) -> bool:
        """Like holds, but an expression that cannot be evaluated raises ContractError."""
        facts = form if isinstance(form, Facts) else Facts(form, **context)
        try:
            result = self._program.execute(facts.context)
        except Exception as exc:  # KeyError, TypeError (no overload), ZeroDivisionError, ...
            raise _EvaluationFailed(f"condition {self.source!r} cannot be evaluated: {_reason(exc)}") from exc
        if not isinstance(result, bool):
            raise ContractError(f"condition {self.source!r} gave {result!r}, not true/false")
        return result

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"no such field {error.args[0]!r}" if error.args else "no such field"
    return str(error).split(". ")[0]  # the evaluator's first sentence; the rest is general advice

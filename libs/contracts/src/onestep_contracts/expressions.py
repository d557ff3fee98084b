"""Conditions and rules over form answers, in CEL (Common Expression Language).

CEL is declarative and side-effect free: a catalogue author can write
`form.seats > 50 || form.floor_area > 200` and nothing in it can run code.
"""

from __future__ import annotations

import functools
from typing import Any

import celpy

from .errors import ContractError

_environment = celpy.Environment()


class _EvaluationFailed(ContractError):
    """The expression met a value it cannot handle (a missing field, a type mismatch)."""


@functools.lru_cache(maxsize=4096)
def _compiled(source: str) -> Any:
    # Parsing costs about twice an evaluation; catalogue conditions are few and reused.
    try:
        return _environment.program(_environment.compile(source))
    except Exception as exc:  # celpy raises CELParseError and friends
        raise ContractError(f"invalid condition {source!r}: {exc}") from exc


class Condition:
    """A compiled CEL expression that evaluates to true or false over a form."""

    def __init__(self, source: str):
        self.source = source
        self._program = _compiled(source)

    def holds(self, form: dict[str, Any], **context: Any) -> bool:
        """True when the expression holds; a missing form field makes it false."""
        try:
            return self.evaluate_strictly(form, **context)
        except _EvaluationFailed:
            return False

    def evaluate_strictly(self, form: dict[str, Any], **context: Any) -> bool:
        """Like holds, but an expression that cannot be evaluated raises ContractError."""
        activation = {"form": celpy.json_to_cel(form)}
        activation.update({name: celpy.json_to_cel(value) for name, value in context.items()})
        try:
            result = self._program.evaluate(activation)
        except celpy.CELEvalError as exc:
            raise _EvaluationFailed(f"condition {self.source!r} cannot be evaluated: {exc.args[0]}") from exc
        if not isinstance(result, celpy.celtypes.BoolType):
            raise ContractError(f"condition {self.source!r} gave {result!r}, not true/false")
        return bool(result)

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"

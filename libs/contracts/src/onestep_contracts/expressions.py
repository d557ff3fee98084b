"""Conditions and rules over form answers, in CEL (Common Expression Language).

CEL is declarative and side-effect free: a catalogue author can write
`form.seats > 50 || form.floor_area > 200` and nothing in it can run code.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import celpy
from celpy.celparser import CELParser

from .errors import ContractError

# The transpiling runner turns each expression into Python once: about four times faster per
# evaluation than walking the parse tree, which was a fifth of intake's CPU per application.
# Its parser is a process-wide singleton that must build transpiler trees, so it is reset here
# in case an interpreting environment built it first.
CELParser.CEL_PARSER = None
_environment = celpy.Environment(runner_class=celpy.CompiledRunner)
# The transpiler logs every evaluation error at ERROR; a missing form field is an expected
# outcome here (the condition is false), reported by this module's own exceptions.
logging.getLogger("celpy.Transpiler").setLevel(logging.CRITICAL)


class _EvaluationFailed(ContractError):
    """The expression met a value it cannot handle (a missing field, a type mismatch)."""


@functools.lru_cache(maxsize=4096)
def _compiled(source: str) -> Any:
    # Parsing costs about twice an evaluation; catalogue conditions are few and reused.
    try:
        return _environment.program(_environment.compile(source))
    except Exception as exc:  # celpy raises CELParseError and friends
        raise ContractError(f"invalid condition {source!r}: {exc}") from exc


class Facts:
    """A form (and any other named values) converted to CEL once, for evaluating several
    conditions over it: the conversion costs about as much as an evaluation."""

    def __init__(self, form: dict[str, Any], **context: Any):
        self.activation = {"form": celpy.json_to_cel(form)}
        self.activation.update({name: celpy.json_to_cel(value) for name, value in context.items()})


class Condition:
    """A compiled CEL expression that evaluates to true or false over a form."""

    def __init__(self, source: str):
        self.source = source
        self._program = _compiled(source)

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
            result = self._program.evaluate(facts.activation)
        except celpy.CELEvalError as exc:
            raise _EvaluationFailed(f"condition {self.source!r} cannot be evaluated: {_reason(exc)}") from exc
        if not isinstance(result, (celpy.celtypes.BoolType, bool)):  # the transpiler may give a bool
            raise ContractError(f"condition {self.source!r} gave {result!r}, not true/false")
        return bool(result)

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"


def _reason(error: celpy.CELEvalError) -> str:
    """The innermost cause: the transpiler nests the failing step's error arguments as
    (message, exception type, details), the last details being the readable one."""
    args: tuple[Any, ...] = error.args
    while len(args) > 2 and isinstance(args[2], tuple) and args[2] and isinstance(args[2][0], str):
        args = args[2]
    return str(args[0])

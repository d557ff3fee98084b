"""Request bodies read as JSON is defined (RFC 8259), so that what intake accepts is what it
publishes.

Python's json module also reads `NaN`, `Infinity` and lone UTF-16 surrogates (`"\\ud800"`), and
reads a number beyond a double's range (`1e999`) as infinity. None of them is JSON: a form
holding a non-finite number was accepted and published as something else (no portal's JSON
parser reads it back), and a lone surrogate failed the request with a 500. pydantic-core's
parser refuses the first three; numbers out of range are looked for after it, and each is
named by its pointer.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic_core import from_json

BOM = b"\xef\xbb\xbf"  # RFC 8259 lets a parser ignore it; some clients send it


class NotJson(ValueError):
    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{pointer}: {detail}" for pointer, detail in problems))
        self.problems = problems


def parse(raw: bytes) -> Any:
    """The body's value, or NotJson listing what is wrong: where the text stops being JSON, or
    every number beyond a double's range."""
    try:
        value = from_json(raw.removeprefix(BOM), allow_inf_nan=False, cache_strings="keys")
    except ValueError as exc:
        raise NotJson([("#", str(exc))]) from exc
    if _holds_infinity(value):
        problems = [(pointer, "the number is beyond the range of a double") for pointer in _infinities(value, "#")]
        raise NotJson(problems)
    return value


def _holds_infinity(value: Any) -> bool:
    """Whether any number is infinite (what the parser made of one beyond a double's range)."""
    waiting = [value]
    while waiting:
        item = waiting.pop()
        kind = type(item)  # the parser makes these exact types
        if kind is dict:
            waiting.extend(item.values())
        elif kind is list:
            waiting.extend(item)
        elif kind is float and math.isinf(item):
            return True
    return False


def _infinities(value: Any, pointer: str) -> list[str]:
    """The JSON Pointer (RFC 6901) of every infinite number."""
    if isinstance(value, float):
        return [pointer] if math.isinf(value) else []
    if isinstance(value, dict):
        items = ((str(key).replace("~", "~0").replace("/", "~1"), item) for key, item in value.items())
    elif isinstance(value, list):
        items = ((str(index), item) for index, item in enumerate(value))
    else:
        return []
    return [found for key, item in items for found in _infinities(item, f"{pointer}/{key}")]

"""Plausible answers to an item's unified form, drawn from its JSON Schema.

Numbers are drawn log-uniformly between the schema's bounds (most restaurants are small, a
few are large), so the catalogue's branches (fire rescue above 200 m², tobacco when selling
it) are taken about as often as in a real district.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from typing import Any

WORDS = ["湘江", "岳麓", "橘子洲", "芙蓉", "天心", "开福", "雨花", "望城", "星沙", "浏阳", "宁乡", "麓谷"]


def answer_form(schema: dict[str, Any], rng: random.Random, today: date) -> dict[str, Any]:
    return {name: answer(spec, rng, today) for name, spec in schema.get("properties", {}).items()}


def answer(spec: dict[str, Any], rng: random.Random, today: date) -> Any:
    if "enum" in spec:
        return rng.choice(spec["enum"])
    if spec.get("examples"):  # a field with a pattern (a credit code, a licence number) gives its examples
        return rng.choice(spec["examples"])
    kind = spec.get("type")
    if kind == "integer":
        return round(_log_uniform(rng, spec.get("minimum", 1), spec.get("maximum", 1000)))
    if kind == "number":
        low = spec.get("minimum", spec.get("exclusiveMinimum", 0)) or 10
        return round(_log_uniform(rng, low, spec.get("maximum", 100 * low)), 1)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        choices = spec.get("items", {}).get("enum", [])
        count = rng.randint(max(spec.get("minItems", 0), 1), len(choices)) if choices else 0
        return rng.sample(choices, count)
    if kind == "string":
        if spec.get("format") == "date":
            return (today + timedelta(days=rng.randint(-30, 30))).isoformat()
        text = "".join(rng.choice(WORDS) for _ in range(3)) + f" {rng.randint(1, 999)} 号"
        return text.ljust(spec.get("minLength", 0), "号")[: spec.get("maxLength", 200)]
    return None


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    low = max(low, 1)
    return math.exp(rng.uniform(math.log(low), math.log(max(high, low))))

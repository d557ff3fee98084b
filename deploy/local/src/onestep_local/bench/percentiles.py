"""Summaries of spans the benchmark measured, in ms."""

from __future__ import annotations

import statistics


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def summary_ms(spans: list[float]) -> dict[str, float]:
    """How many, p50 / p95 / p99, the longest and the mean."""
    return {
        "cases": len(spans),
        "p50": round(percentile(spans, 0.50), 1),
        "p95": round(percentile(spans, 0.95), 1),
        "p99": round(percentile(spans, 0.99), 1),
        "max": round(max(spans, default=float("nan")), 1),
        "mean": round(statistics.fmean(spans), 1) if spans else float("nan"),
    }

"""Reading a service's Prometheus metrics, as a monitoring system would."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


def samples(url: str, name: str) -> list[tuple[dict[str, str], float]]:
    """The samples of one metric family (a counter's `_total` samples) at `url`/metrics."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        if family.name == name
        for sample in family.samples
        if not sample.name.endswith("_created")
    ]


def total(url: str, name: str) -> float:
    return sum(value for _, value in samples(url, name))

"""Duplicate deliveries (records published a second time, as a relay does after a crash)
and poison messages injected into a stream: each fact is applied once, each event
notified once, and every poison message is dead-lettered while its partition goes on."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from onestep_contracts import topics
from onestep_runtime.kafka import read_to_end

from ..e2e.waiting import eventually
from ..kafka_probe import publish
from .checker import all_final, once_settled
from .load import Stream, restaurants

APPLICATIONS = 400


def copies_of(kafka, topic: str, marker_cases: set[str], most: int) -> list[tuple]:
    """Records of this run's cases already on the topic, to publish again as they are."""
    records = asyncio.run(read_to_end(kafka.bootstrap_servers, topic))
    ours = [r for r in records if r.key and r.key.decode() in marker_cases]
    return [(r.key, r.value, list(r.headers)) for r in ours[:most]]


def poison(topic_tag: str, number: int) -> tuple[str, tuple]:
    poison_id = f"poison-{topic_tag}-{number}-{uuid.uuid4().hex[:6]}"
    kinds = [
        (b"not json at all", [("ce_type", b"onestep.application.submitted"), ("ce_id", poison_id.encode())]),
        (b"{}", [("ce_type", b"onestep.no.such.event"), ("ce_id", poison_id.encode())]),
    ]
    value, headers = kinds[number % 2]
    return poison_id, (str(uuid.uuid4()).encode(), value, headers)


@pytest.mark.timeout(900)
def test_duplicates_and_poison_messages_injected_mid_stream(system, portal, kafka, webhook, capsys):
    marker = f"dup-{uuid.uuid4().hex[:8]}"
    stream = Stream(system["intake"].url, restaurants(marker), count=APPLICATIONS).start()
    eventually(lambda: len(stream.accepted) >= APPLICATIONS // 2, timeout_s=300, interval_s=0.5)
    eventually(lambda: all_final(system, sorted(set(stream.accepted.values()))[:50]), timeout_s=120)

    so_far = set(stream.accepted.values())
    duplicates = {topic: copies_of(kafka, topic, so_far, 100) for topic in (topics.APPLICATIONS, topics.DECISIONS)}
    poisons = [poison(tag, n) for tag in ("applications", "decisions") for n in range(3)]
    publish(
        kafka.bootstrap_servers,
        topics.APPLICATIONS,
        [],
        raw=duplicates[topics.APPLICATIONS] + [p for _, p in poisons[:3]],
    )
    publish(
        kafka.bootstrap_servers, topics.DECISIONS, [], raw=duplicates[topics.DECISIONS] + [p for _, p in poisons[3:]]
    )
    stream.join()

    poison_ids = tuple(poison_id for poison_id, _ in poisons)
    findings = once_settled(system, kafka, stream, marker=marker, webhook=webhook, poison_ids=poison_ids)
    findings.counts["duplicate records injected"] = sum(len(copies) for copies in duplicates.values())
    with capsys.disabled():
        print("\n" + findings.report(f"{APPLICATIONS} applications, duplicates and poison injected mid-stream"))
    assert stream.unaccepted == []
    assert findings.counts["poison messages dead-lettered"] == len(poisons)
    assert findings.counts["decisions published again (same id)"] > 0  # the injected copies were there

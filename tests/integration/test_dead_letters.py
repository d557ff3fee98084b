"""A message the ledger cannot decode goes to the dead-letter topic; the partition goes on."""

from __future__ import annotations

import time
import uuid

from fastapi.testclient import TestClient

from onestep_contracts import topics
from onestep_ledger.entrypoints.api import create_app
from onestep_ledger.settings import LedgerSettings

from ..kafka_probe import publish, read_all
from ..scenarios import decided_envelope, submitted_envelope


def test_a_poison_message_is_dead_lettered_with_its_reason_and_the_next_case_is_still_decided(kafka, tmp_path):
    poison_key = str(uuid.uuid4()).encode()
    case_id = uuid.uuid4()
    poison = [
        (poison_key, b"not json at all", [("ce_type", b"onestep.application.submitted"), ("ce_id", b"poison-1")]),
        (poison_key, b"{}", [("ce_type", b"onestep.no.such.event")]),
    ]
    # The poison and the good case share a partition (same key), so the good one comes after it.
    good = submitted_envelope(case_id, ["market-regulation"])
    publish(kafka.bootstrap_servers, topics.APPLICATIONS, [], raw=poison)
    publish(kafka.bootstrap_servers, topics.APPLICATIONS, [good])
    publish(kafka.bootstrap_servers, topics.DECISIONS, [decided_envelope(case_id, "market-regulation")])

    settings = LedgerSettings(
        kafka_bootstrap_servers=kafka.bootstrap_servers, consumer_group=f"dlq-{uuid.uuid4().hex[:6]}"
    )
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "ledger.sqlite")}
    with TestClient(create_app(settings, env=env)) as ledger:
        store = ledger.app.state.ledger.app
        deadline = time.monotonic() + 60
        while not (case_id in store.repository and store.repository.get(case_id).status == "approved"):
            assert time.monotonic() < deadline, "the case after the poison was not decided"
            time.sleep(0.2)

    parked = [
        headers
        for headers, _ in read_all(kafka.bootstrap_servers, topics.DEAD_LETTERS)
        if headers.get("dlq_service") == b"case-ledger"
    ]
    mine = [
        headers
        for headers in parked
        if headers.get("ce_id") == b"poison-1" or headers.get("ce_type") == b"onestep.no.such.event"
    ]
    reasons = sorted(headers["dlq_reason"].decode() for headers in mine)
    assert len(reasons) >= 2
    assert any("undecodable onestep.application.submitted" in reason for reason in reasons)
    assert any("unknown event type 'onestep.no.such.event'" in reason for reason in reasons)
    assert all(
        headers["dlq_topic"] == topics.APPLICATIONS.encode() and headers["dlq_offset"].isdigit() for headers in mine
    )

"""A message the ledger cannot decode goes to the dead-letter topic; the partition goes on."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

from fastapi.testclient import TestClient

from onestep_contracts import topics
from onestep_ledger.application import CaseLedger
from onestep_ledger.entrypoints.api import create_app
from onestep_ledger.settings import LedgerSettings

from ..kafka_probe import end_offsets, publish, read_all
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


def dlq(kafka, *args: str) -> str:
    """The operator's command, as a real process."""
    done = subprocess.run(
        [sys.executable, "-m", "onestep_runtime.dlq", "--bootstrap-servers", kafka.bootstrap_servers, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_record_a_faulty_ledger_could_not_apply_is_listed_and_replayed_once_it_is_fixed(kafka, tmp_path, monkeypatch):
    victim, bystander = uuid.uuid4(), uuid.uuid4()
    application = submitted_envelope(victim, ["market-regulation"])
    publish(
        kafka.bootstrap_servers,
        topics.APPLICATIONS,
        [application, submitted_envelope(bystander, ["market-regulation"])],
    )
    settings = LedgerSettings(
        kafka_bootstrap_servers=kafka.bootstrap_servers, consumer_group=f"dlq-{uuid.uuid4().hex[:6]}"
    )
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "ledger.sqlite")}

    applies = CaseLedger.apply_envelope

    def faulty(self, envelope, processing):  # the version deployed today has a bug for this case
        if envelope.event.case_id == victim:
            raise RuntimeError("a fault in this version of the ledger")
        return applies(self, envelope, processing)

    def letters() -> list[dict]:
        listed = [json.loads(line) for line in dlq(kafka, "list", "--service", "case-ledger", "--json").splitlines()]
        return [entry for entry in listed if entry["event_id"] == application.id]

    monkeypatch.setattr(CaseLedger, "apply_envelope", faulty)
    with TestClient(create_app(settings, env=env)) as ledger:
        store = ledger.app.state.ledger.app
        wait_for(letters)
        wait_for(lambda: bystander in store.repository)  # its partition went on
    monkeypatch.undo()  # the fixed version is deployed

    (letter,) = letters()
    assert letter["topic"] == topics.APPLICATIONS and letter["event_type"] == "onestep.application.submitted"
    assert "a fault in this version of the ledger" in letter["reason"]
    assert "李湘" not in dlq(kafka, "list")  # facts about the record, never its personal data

    with TestClient(create_app(settings, env=env)) as ledger:
        store = ledger.app.state.ledger.app
        assert "1 records replayed" in dlq(kafka, "replay", "--letter", letter["letter"])
        wait_for(lambda: victim in store.repository)
        dlq(kafka, "replay", "--letter", letter["letter"])  # replayed twice: applied once
        partition = letter["partition"]  # a record keeps its key, so its partition
        end = end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS)[partition]
        wait_for(lambda: (store.stored_position(topics.APPLICATIONS, partition) or 0) >= end - 1)
        case_events = [type(e).__name__ for e in store.repository.event_store.get(victim)]
        assert case_events == ["Opened"]


def wait_for(probe, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not probe():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_record_parked_twice_is_listed_once_with_the_times_it_was_parked(kafka):
    """Parking is at least once (a consumer that loses its partition mid-batch parks the poison
    again when it reads the batch again); the operator's list shows each record once."""
    import asyncio

    from aiokafka.structs import ConsumerRecord

    from onestep_runtime.dead_letters import DeadLetters
    from onestep_runtime.kafka import make_producer

    service = f"test-{uuid.uuid4().hex[:6]}"
    poison = ConsumerRecord(
        topic=topics.APPLICATIONS, partition=2, offset=41, timestamp=0, timestamp_type=0, key=b"k",
        value=b"not json", checksum=None, serialized_key_size=1, serialized_value_size=8,
        headers=[("ce_type", b"onestep.application.submitted")],
    )  # fmt: skip

    async def park_twice() -> None:
        producer = make_producer(kafka.bootstrap_servers, client_id=service)
        await producer.start()
        try:
            letters = DeadLetters(producer, service=service)
            await letters.park(poison, "undecodable")
            await letters.park(poison, "undecodable")
        finally:
            await producer.stop()

    asyncio.run(park_twice())
    (listed,) = [json.loads(line) for line in dlq(kafka, "list", "--service", service, "--json").splitlines()]
    assert (listed["topic"], listed["partition"], listed["offset"], listed["times"]) == (topics.APPLICATIONS, 2, 41, 2)
    assert "1 parked records in 2 dead letters" in subprocess.run(
        [sys.executable, "-m", "onestep_runtime.dlq", "--bootstrap-servers", kafka.bootstrap_servers, "list",
         "--service", service],
        capture_output=True, text=True, timeout=120, check=True,
    ).stderr  # fmt: skip

"""Two ledger instances in one consumer group, on one PostgreSQL store, sharing the
partitions; one is killed mid-stream and not started again: the other takes its partitions
over and resumes from the positions stored with the events. The checker reads through the
survivor."""

from __future__ import annotations

import uuid

import pytest

from onestep_local.kafka_broker import free_port
from onestep_local.stack import Service

from ..e2e.waiting import eventually
from .checker import once_settled
from .load import Stream, restaurants
from .metrics import total

APPLICATIONS = 600
PARTITIONS = "onestep_consumer_partitions"


@pytest.mark.timeout(900)
def test_a_second_ledger_takes_over_the_partitions_of_one_killed(system, portal, kafka, webhook, capsys):
    first = system["ledger"]
    second = system.add(Service("ledger-2", first.module, free_port(), dict(first.env), system.home))
    second.env["LEDGER_PORT"] = str(second.port)
    second.start()
    second.wait_ready()
    shares = eventually(lambda: (s := [total(ledger.url, PARTITIONS) for ledger in (first, second)]) and all(s) and s)

    marker = f"takeover-{uuid.uuid4().hex[:8]}"
    stream = Stream(system["intake"].url, restaurants(marker), count=APPLICATIONS).start()
    eventually(lambda: stream.filed >= APPLICATIONS // 3, timeout_s=300, interval_s=0.5)
    first.kill()
    system.services["ledger"], system.services["ledger-2"] = second, first  # reads go to the survivor
    taken_over = eventually(lambda: total(second.url, PARTITIONS) == sum(shares) and sum(shares), timeout_s=120)
    stream.join()

    findings = once_settled(system, kafka, stream, marker=marker, webhook=webhook)
    findings.counts["partitions of each ledger before the kill"] = shares
    findings.counts["partitions of the survivor after it"] = taken_over
    with capsys.disabled():
        print("\n" + findings.report(f"{APPLICATIONS} applications, one of two ledger instances killed"))
    assert stream.unaccepted == []
    assert findings.counts["cases on the applications topic"] == APPLICATIONS

"""The Kafka broker stopped and started again while portals file applications: intake answers
503 with Retry-After while it cannot write (nothing is accepted it could lose), every
service reconnects by itself, and no application answered 202 is lost."""

from __future__ import annotations

import uuid

import pytest

from ..e2e.waiting import eventually
from .checker import once_settled
from .load import Stream, restaurants

APPLICATIONS = 600


@pytest.mark.timeout(900)
def test_the_broker_stopped_and_started_again_mid_stream(system, portal, kafka, webhook, capsys):
    marker = f"broker-{uuid.uuid4().hex[:8]}"
    stream = Stream(system["intake"].url, restaurants(marker), count=APPLICATIONS).start()
    eventually(lambda: stream.filed >= APPLICATIONS // 3, timeout_s=300, interval_s=0.5)
    kafka.stop()
    eventually(lambda: stream.refused_503 > 0, timeout_s=120)  # portals are told to come back
    kafka.start()
    stream.join()

    findings = once_settled(system, kafka, stream, marker=marker, webhook=webhook)
    with capsys.disabled():
        print("\n" + findings.report(f"{APPLICATIONS} applications, the broker stopped and started mid-stream"))
    assert stream.unaccepted == []
    assert findings.counts["cases on the applications topic"] == APPLICATIONS

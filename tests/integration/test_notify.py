"""notify against the real broker and a real local webhook server."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from onestep_contracts import CaseOpened, deterministic_id, envelope, topics
from onestep_contracts.signing import SIGNATURE_HEADER, verify
from onestep_notify.entrypoints.api import create_app
from onestep_notify.settings import NotifySettings

from ..kafka_probe import publish
from ..peers import WebhookReceiver

KEY = "notify-test-key"
SECRET = "notify-test-secret"


def opened(case_id, portal: str) -> object:
    now = datetime.now(UTC)
    event = CaseOpened(
        case_id=case_id,
        portal=portal,
        item="open-restaurant",
        region="430102",
        accepted_region="430102",
        departments=["market-regulation"],
        due_at=now + timedelta(days=5),
        opened_at=now,
    )
    return envelope(event, source="test/case-ledger", id=deterministic_id(case_id, "opened"))


def deliveries(client: TestClient, case_id) -> list[dict]:
    response = client.get(
        "/v1/notifications", params={"case_id": str(case_id)}, headers={"Authorization": f"Bearer {KEY}"}
    )
    return response.json()["notifications"]


def settled(client, case_id, timeout_s: float = 60.0) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = deliveries(client, case_id)
        if found and all(d["state"] != "pending" for d in found):
            return found
        time.sleep(0.2)
    raise AssertionError(f"not settled: {deliveries(client, case_id)}")


@pytest.fixture
def portal() -> str:
    """A portal of this test alone: the topic holds other tests' cases, for other portals."""
    return f"portal-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def notify_with(kafka, tmp_path, portal):
    def start(receiver: WebhookReceiver) -> TestClient:
        settings = NotifySettings(
            kafka_bootstrap_servers=kafka.bootstrap_servers,
            consumer_group=f"notify-{uuid.uuid4().hex[:6]}",
            portal_keys={portal: KEY, "another-portal": "other-key"},
            portal_webhooks={portal: {"url": receiver.url, "secret": SECRET}},
            backoff_initial_s=0.05,
            backoff_max_s=0.2,
            max_attempts=4,
        )
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / f"{uuid.uuid4().hex}.sqlite"),
        }
        return TestClient(create_app(settings, env=env))

    return start


def test_a_failing_webhook_is_retried_until_it_answers_and_each_event_is_sent_once(kafka, notify_with, portal):
    case_id = uuid.uuid4()
    with WebhookReceiver(statuses=[500, 503]) as receiver, notify_with(receiver) as notify:
        # the same event twice, as a relay restart would publish it
        publish(kafka.bootstrap_servers, topics.CASES, [opened(case_id, portal), opened(case_id, portal)])
        [delivery] = settled(notify, case_id)
        assert delivery["state"] == "delivered"
        assert [a["outcome"] for a in delivery["attempts"]] == ["failed", "failed", "delivered"]
        assert {json.loads(r["body"])["subject"] for r in receiver.received} == {str(case_id)}
        mine = receiver.received
        assert [r["answered"] for r in mine] == [500, 503, 200]
        other_portal = notify.get(
            "/v1/notifications", params={"case_id": str(case_id)}, headers={"Authorization": "Bearer other-key"}
        )
        assert other_portal.status_code == 200 and other_portal.json()["notifications"] == []
        assert all(verify(SECRET, r["body"], r["headers"][SIGNATURE_HEADER]) for r in mine)
        assert len({r["headers"]["Onestep-Event-Id"] for r in mine}) == 1


def test_a_webhook_that_refuses_with_4xx_is_parked_visibly_not_retried(kafka, notify_with, portal):
    case_id = uuid.uuid4()
    with WebhookReceiver(statuses=[410]) as receiver, notify_with(receiver) as notify:
        publish(kafka.bootstrap_servers, topics.CASES, [opened(case_id, portal)])
        [delivery] = settled(notify, case_id)
        assert delivery["state"] == "parked"
        assert delivery["attempts"] == [{"outcome": "parked", "detail": "HTTP 410: the portal refused it"}]

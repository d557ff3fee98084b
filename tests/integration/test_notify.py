"""notify against the real broker and a real local webhook server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from onestep_contracts import CaseOpened, deterministic_id, envelope, topics
from onestep_contracts.signing import SIGNATURE_HEADER, verify
from onestep_notify.adapters.webhook import WebhookSender
from onestep_notify.application import Notifier
from onestep_notify.dispatcher import WebhookDispatcher
from onestep_notify.domain.deliveries import CaseNotifications
from onestep_notify.entrypoints.api import create_app
from onestep_notify.settings import NotifySettings, Webhook
from onestep_runtime import projection_consumer

from ..kafka_probe import end_offsets, publish
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


def notifier_in(tmp_path) -> Notifier:
    """notify's application on a SQLite store of the test's own, for the dispatcher's tests."""
    return Notifier(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "notify.sqlite")}
    )


def requested_by(notifier: Notifier, case_events: list, position: int) -> list[CaseNotifications.DeliveryRequested]:
    """Applies case events as the cases topic's batch at `position`; the deliveries they requested."""
    before = notifier.recorder.max_notification_id() or 0
    notifier.apply_batch("cases", 0, case_events, position)
    return [
        event
        for notification in notifier.recorder.select_notifications(before + 1, 100)
        if isinstance(event := notifier.mapper.to_domain_event(notification), CaseNotifications.DeliveryRequested)
    ]


@pytest.fixture
def portal() -> str:
    """A portal of this test alone: the topic holds other tests' cases, for other portals."""
    return f"portal-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def notify_with(kafka, tmp_path, portal):
    def start(
        receiver: WebhookReceiver,
        batch: int = 0,
        env: dict[str, str] | None = None,
        group: str | None = None,
        **overrides: object,
    ) -> TestClient:
        settings = NotifySettings(
            kafka_bootstrap_servers=kafka.bootstrap_servers,
            consumer_group=group or f"notify-{uuid.uuid4().hex[:6]}",
            portal_keys={portal: KEY, "another-portal": "other-key"},
            portal_webhooks={portal: {"url": receiver.url, "secret": SECRET, "batch": batch}},
            backoff_initial_s=0.05,
            backoff_max_s=0.2,
            max_attempts=4,
            **overrides,
        )
        env = env or {
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


def test_a_portal_that_takes_batches_gets_arrays_of_signed_events_each_event_once(kafka, notify_with, portal):
    cases = [uuid.uuid4() for _ in range(3)]
    with WebhookReceiver(statuses=[503]) as receiver, notify_with(receiver, batch=10) as notify:
        publish(kafka.bootstrap_servers, topics.CASES, [opened(case_id, portal) for case_id in cases])
        records = {case_id: settled(notify, case_id) for case_id in cases}
        posts = [(r, json.loads(r["body"])) for r in receiver.received]
        assert all(r["headers"]["Content-Type"] == "application/cloudevents-batch+json" for r, _ in posts)
        assert all(verify(SECRET, r["body"], r["headers"][SIGNATURE_HEADER]) for r, _ in posts)
        assert all("Onestep-Event-Id" not in r["headers"] for r, _ in posts)
        assert all(isinstance(events, list) and 1 <= len(events) <= 10 for _, events in posts)
        delivered = [event["subject"] for r, events in posts if r["answered"] == 200 for event in events]
        assert sorted(delivered) == sorted(str(case_id) for case_id in cases)
        # the refused POST was sent again whole: its events were attempted twice, the others once
        [(_, refused)] = [(r, events) for r, events in posts if r["answered"] == 503]
        for case_id, [delivery] in records.items():
            expected = ["failed", "delivered"] if str(case_id) in {e["subject"] for e in refused} else ["delivered"]
            assert delivery["state"] == "delivered"
            assert [a["outcome"] for a in delivery["attempts"]] == expected


def test_the_dispatcher_groups_a_batch_into_posts_of_the_portals_size_and_parks_a_refused_one_whole(tmp_path):
    notifier = notifier_in(tmp_path)
    batched, single = f"portal-{uuid.uuid4().hex[:8]}", f"portal-{uuid.uuid4().hex[:8]}"
    cases = {batched: [uuid.uuid4() for _ in range(5)], single: [uuid.uuid4() for _ in range(2)]}
    requested = requested_by(notifier, [opened(c, p) for p, ids in cases.items() for c in ids], 0)

    async def dispatch(receiver: WebhookReceiver) -> None:
        async with httpx.AsyncClient() as client:
            sender = WebhookSender(client, max_attempts=2, backoff_initial_s=0.01, backoff_max_s=0.01)
            webhooks = {
                batched: Webhook(url=receiver.url, secret=SECRET, batch=2),
                single: Webhook(url=receiver.url, secret=SECRET),
            }
            await WebhookDispatcher(notifier, sender, webhooks).dispatch(requested)

    with WebhookReceiver(statuses=[410]) as receiver:  # the first POST is refused
        asyncio.run(dispatch(receiver))
    arrays = [json.loads(r["body"]) for r in receiver.received if r["headers"]["Content-Type"].endswith("batch+json")]
    singles = [json.loads(r["body"]) for r in receiver.received if r["headers"]["Content-Type"].endswith("s+json")]
    assert sorted(len(events) for events in arrays) == [1, 2, 2]
    assert sorted(event["subject"] for event in singles) == sorted(str(c) for c in cases[single])
    refused = json.loads(receiver.received[0]["body"])
    refused_cases = {event["subject"] for event in (refused if isinstance(refused, list) else [refused])}
    states = {
        str(c): notifier.deliveries_for_case(str(c), portal)[0]["state"] for portal, ids in cases.items() for c in ids
    }
    assert {c for c, state in states.items() if state == "parked"} == refused_cases
    assert {c for c, state in states.items() if state == "delivered"} == set(states) - refused_cases
    # handed over again (a restart), nothing is sent twice
    with WebhookReceiver() as again:
        asyncio.run(dispatch(again))
    assert again.received == []


def test_a_portal_whose_webhook_fails_every_attempt_is_tried_once_a_post_until_one_gets_through(tmp_path):
    """A batch waits for its slowest POST: a portal whose webhook is down would hold every
    portal's next events for all of its retries. Once its POST has failed every attempt, its
    POSTs are tried once until one gets through; the other portal's go out each time."""
    notifier = notifier_in(tmp_path)
    down, up = f"portal-{uuid.uuid4().hex[:8]}", f"portal-{uuid.uuid4().hex[:8]}"
    rounds = [{down: uuid.uuid4(), up: uuid.uuid4()} for _ in range(4)]

    def requested(position: int) -> list[CaseNotifications.DeliveryRequested]:
        return requested_by(
            notifier, [opened(case_id, portal) for portal, case_id in rounds[position].items()], position
        )

    failing_portals = []  # the gauge after each round

    async def dispatch_rounds(failing: WebhookReceiver, fine: WebhookReceiver) -> None:
        webhooks = {down: Webhook(url=failing.url, secret=SECRET), up: Webhook(url=fine.url, secret=SECRET)}
        async with httpx.AsyncClient() as client:
            sender = WebhookSender(client, max_attempts=3, backoff_initial_s=0.01, backoff_max_s=0.01)
            dispatcher = WebhookDispatcher(notifier, sender, webhooks, failing_retry_s=0)  # tried with each batch
            for position in range(len(rounds)):
                await dispatcher.dispatch(requested(position))
                failing_portals.append(REGISTRY.get_sample_value("onestep_notify_failing_portals"))

    # down for the first two rounds, back for the third, down again for the fourth
    with WebhookReceiver(statuses=[503] * 4 + [200] + [503] * 3) as failing, WebhookReceiver() as fine:
        asyncio.run(dispatch_rounds(failing, fine))
    assert failing_portals == [1, 1, 0, 1]

    def delivery(portal: str, position: int) -> dict:
        [found] = notifier.deliveries_for_case(str(rounds[position][portal]), portal)
        return found

    details = [[attempt["detail"] for attempt in delivery(down, position)["attempts"]] for position in range(4)]
    assert len(details[0]) == 3 and details[0][-1] == "HTTP 503; gave up after 3 attempts"
    [tried_once] = details[1]
    assert tried_once.startswith("HTTP 503; tried once: the portal's webhook has failed every attempt since ")
    assert details[2] == ["HTTP 200"] and delivery(down, 2)["state"] == "delivered"
    assert len(details[3]) == 3  # through once, so retried in full again
    assert [post["answered"] for post in failing.received] == [503, 503, 503, 503, 200, 503, 503, 503]
    assert [delivery(up, position)["state"] for position in range(4)] == ["delivered"] * 4


def test_while_a_portals_webhook_fails_one_post_is_tried_an_interval_and_the_rest_are_parked_at_once(tmp_path):
    """A webhook that does not answer takes each POST's whole timeout, and a batch waits for its
    slowest POST: tried once for each of its events, a failing portal held every batch for as
    many timeouts as it had POSTs in it. While it fails, one POST is tried an interval; the
    rest are parked at once, untried, to be sent again once it takes a POST."""
    notifier = notifier_in(tmp_path)
    down, up = f"portal-{uuid.uuid4().hex[:8]}", f"portal-{uuid.uuid4().hex[:8]}"
    # the failing portal's cases, round by round (each round also a case of the other portal's)
    rounds = [[uuid.uuid4() for _ in range(count)] for count in (1, 4, 3, 1)]
    elsewhere = [uuid.uuid4() for _ in rounds]
    now = [0.0]  # the dispatcher's clock, moved on by the test

    def requested(position: int) -> list[CaseNotifications.DeliveryRequested]:
        cases = [opened(case_id, down) for case_id in rounds[position]] + [opened(elsewhere[position], up)]
        return requested_by(notifier, cases, position)

    async def dispatch_rounds(failing: WebhookReceiver, fine: WebhookReceiver) -> None:
        webhooks = {down: Webhook(url=failing.url, secret=SECRET), up: Webhook(url=fine.url, secret=SECRET)}
        async with httpx.AsyncClient() as client:
            sender = WebhookSender(client, max_attempts=3, backoff_initial_s=0.01, backoff_max_s=0.01)
            dispatcher = WebhookDispatcher(notifier, sender, webhooks, failing_retry_s=30, clock=lambda: now[0])
            for position, at in enumerate((0.0, 10.0, 31.0, 62.0)):  # the second round within the interval
                now[0] = at
                await dispatcher.dispatch(requested(position))

    # down for the first round's three attempts and the third round's one, back for the fourth
    with WebhookReceiver(statuses=[503] * 4 + [200]) as failing, WebhookReceiver() as fine:
        asyncio.run(dispatch_rounds(failing, fine))

    def attempts(case_id) -> list[dict]:
        [delivery] = notifier.deliveries_for_case(str(case_id), down)
        return delivery["attempts"]

    assert [post["answered"] for post in failing.received] == [503, 503, 503, 503, 200]
    assert len(attempts(rounds[0][0])) == 3
    untried = [attempts(case_id) for case_id in rounds[1]]
    assert all(len(a) == 1 and a[0]["outcome"] == "parked" for a in untried)
    assert all(a[0]["detail"].startswith("not tried: the portal's webhook has failed every attempt") for a in untried)
    third = sorted(attempts(case_id)[0]["detail"].split(":")[0] for case_id in rounds[2])
    assert third == ["HTTP 503; tried once", "not tried", "not tried"]  # one tried, its interval passed
    assert [a["outcome"] for a in attempts(rounds[3][0])] == ["delivered"]
    assert all(notifier.deliveries_for_case(str(case_id), up)[0]["state"] == "delivered" for case_id in elsewhere)


def test_a_portals_posts_waiting_for_a_connection_when_it_fails_every_attempt_are_parked_untried(tmp_path):
    """A batch's POSTs wait for one of the connections in flight: those queued behind a portal's
    first failing POSTs made every attempt of their own once they got one, so a batch of a few
    hundred of its events took that many rounds of every attempt's timeout."""
    notifier = notifier_in(tmp_path)
    down = f"portal-{uuid.uuid4().hex[:8]}"
    cases = [uuid.uuid4() for _ in range(6)]
    requested = requested_by(notifier, [opened(case_id, down) for case_id in cases], 0)

    async def dispatch(failing: WebhookReceiver) -> None:
        async with httpx.AsyncClient() as client:
            sender = WebhookSender(client, max_attempts=2, backoff_initial_s=0.01, backoff_max_s=0.01)
            webhooks = {down: Webhook(url=failing.url, secret=SECRET)}
            await WebhookDispatcher(notifier, sender, webhooks, concurrency=2).dispatch(requested)

    with WebhookReceiver(statuses=[503] * 12) as failing:
        asyncio.run(dispatch(failing))

    assert len(failing.received) == 2 * 2  # the two POSTs in flight, each attempted twice
    outcomes = [notifier.deliveries_for_case(str(case_id), down)[0]["attempts"] for case_id in cases]
    assert sorted(len(attempts) for attempts in outcomes) == [1, 1, 1, 1, 2, 2]
    assert all(a[0]["detail"].startswith("not tried") for a in outcomes if len(a) == 1)


def parked_list(client: TestClient, key: str = KEY, **params) -> dict:
    response = client.get("/v1/notifications/parked", params=params, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return response.json()


def listed_parked(client: TestClient, count: int, timeout_s: float = 30.0) -> list[dict]:
    """The portal's parked list once it holds `count` deliveries (it follows notify's log)."""
    deadline = time.monotonic() + timeout_s
    while len(found := parked_list(client)["notifications"]) != count:
        assert time.monotonic() < deadline, f"parked: {found}"
        time.sleep(0.1)
    return found


def redeliver(client: TestClient, body: dict, key: str = KEY) -> httpx.Response:
    return client.post("/v1/notifications/redeliver", json=body, headers={"Authorization": f"Bearer {key}"})


def test_deliveries_parked_while_a_webhook_was_down_are_sent_again_once_it_takes_a_post(
    kafka, notify_with, portal, store_env
):
    """Before, a delivery parked for good: a portal whose webhook was down for a deployment
    never got the events of those minutes."""
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    # down for the first event's four attempts and the second's one (tried once), then back
    with (
        WebhookReceiver(statuses=[503] * 5) as receiver,
        notify_with(receiver, env=store_env, failing_retry_s=0) as notify,  # each POST tried
    ):
        publish(kafka.bootstrap_servers, topics.CASES, [opened(first, portal)])
        assert settled(notify, first)[0]["state"] == "parked"
        publish(kafka.bootstrap_servers, topics.CASES, [opened(second, portal)])
        assert settled(notify, second)[0]["state"] == "parked"
        listed = listed_parked(notify, 2)
        assert [row["case_id"] for row in listed] == [str(first), str(second)]
        assert {row["kind"] for row in listed} == {"unreachable"}
        assert listed[1]["reason"].startswith("HTTP 503; tried once: the portal's webhook has failed every attempt")

        publish(kafka.bootstrap_servers, topics.CASES, [opened(third, portal)])  # gets through: the portal is back
        for case_id in (first, second):
            deadline = time.monotonic() + 30
            while (delivery := deliveries(notify, case_id)[0])["state"] != "delivered":
                assert time.monotonic() < deadline, delivery
                time.sleep(0.1)
            assert delivery["redeliveries"] == 1 and delivery["attempts"][-1] == {
                "outcome": "delivered",
                "detail": "HTTP 200",
            }
        assert listed_parked(notify, 0) == []
        delivered = [json.loads(r["body"])["subject"] for r in receiver.received if r["answered"] == 200]
        assert sorted(delivered) == sorted(str(case_id) for case_id in (first, second, third))


def test_a_portal_lists_its_parked_deliveries_and_asks_for_them_again(kafka, notify_with, portal, store_env):
    refused, also_refused = uuid.uuid4(), uuid.uuid4()
    with WebhookReceiver(statuses=[410, 410]) as receiver, notify_with(receiver, env=store_env) as notify:
        publish(kafka.bootstrap_servers, topics.CASES, [opened(refused, portal), opened(also_refused, portal)])
        [listed, also_listed] = sorted(listed_parked(notify, 2), key=lambda row: row["case_id"] != str(refused))
        assert listed["kind"] == "refused" and listed["reason"] == "HTTP 410: the portal refused it"
        # every portal's: the topic holds other tests' cases, whose portals have no webhook here
        assert REGISTRY.get_sample_value("onestep_notify_parked_deliveries") >= 2
        assert set(listed) == {"event_id", "channel", "case_id", "kind", "reason", "parked_at"}
        first_page = parked_list(notify, limit=1)
        assert len(first_page["notifications"]) == 1 and first_page["next"]
        second_page = parked_list(notify, limit=1, after=first_page["next"])
        assert [row["event_id"] for row in first_page["notifications"] + second_page["notifications"]] == [
            row["event_id"] for row in parked_list(notify)["notifications"]
        ]
        assert parked_list(notify, key="other-key")["notifications"] == []  # another portal's list

        unknown = str(uuid.uuid4())
        refused_whole = redeliver(notify, {"event_ids": [listed["event_id"], unknown, "x"]})
        assert refused_whole.status_code == 422 and refused_whole.headers["content-type"] == "application/problem+json"
        assert [e["pointer"] for e in refused_whole.json()["errors"]] == ["#/event_ids/1", "#/event_ids/2"]
        not_theirs = redeliver(notify, {"event_ids": [listed["event_id"]]}, key="other-key")
        assert not_theirs.status_code == 422
        assert redeliver(notify, {"limit": 0}).status_code == 422
        assert len(receiver.received) == 2  # nothing was sent again

        asked = redeliver(notify, {"event_ids": [listed["event_id"]]})
        assert asked.status_code == 202 and asked.json() == {"redelivering": [listed["event_id"]], "still_parked": 1}
        deadline = time.monotonic() + 30
        while deliveries(notify, refused)[0]["state"] != "delivered":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert [row["event_id"] for row in listed_parked(notify, 1)] == [also_listed["event_id"]]
        rest = redeliver(notify, {})
        assert rest.json() == {"redelivering": [also_listed["event_id"]], "still_parked": 0}
        assert [d["state"] for d in settled(notify, also_refused)] == ["delivered"]
        assert listed_parked(notify, 0) == []
        assert redeliver(notify, {}).json() == {"redelivering": [], "still_parked": 0}
        assert [r["answered"] for r in receiver.received] == [410, 410, 200, 200]


def test_deliveries_parked_before_a_restart_are_sent_again_at_the_portals_first_post_through(
    kafka, notify_with, portal, store_env
):
    """A restarted notify cannot know whether a portal's webhook failed before it started."""
    before, after = uuid.uuid4(), uuid.uuid4()
    group = f"notify-{uuid.uuid4().hex[:6]}"
    with WebhookReceiver(statuses=[503] * 4) as down, notify_with(down, env=store_env, group=group) as notify:
        publish(kafka.bootstrap_servers, topics.CASES, [opened(before, portal)])
        assert settled(notify, before)[0]["state"] == "parked"
    with WebhookReceiver() as back, notify_with(back, env=store_env, group=group) as notify:
        publish(kafka.bootstrap_servers, topics.CASES, [opened(after, portal)])
        deadline = time.monotonic() + 30
        while (delivery := deliveries(notify, before)[0])["state"] != "delivered":
            assert time.monotonic() < deadline, delivery
            time.sleep(0.1)
        assert delivery["redeliveries"] == 1
        assert sorted(json.loads(r["body"])["subject"] for r in back.received) == sorted([str(before), str(after)])


@pytest.fixture
def held_up(kafka, notify_with, portal, monkeypatch):
    """Starts notify for a portal whose webhook holds every POST until the gate is set (a slow
    peer), its consumer polling 10 records at a time and waiting for its dispatcher once it is
    15 events behind; once notify has worked off the topic's earlier cases, publishes the cases'
    events. Yields the receiver, notify and the gate."""
    monkeypatch.setattr(projection_consumer, "CATCH_UP_WITHIN", 15)

    @contextlib.contextmanager
    def start(cases: list[uuid.UUID]):
        gate = threading.Event()
        with (
            WebhookReceiver(gate=gate) as receiver,
            notify_with(receiver, batch=100, max_batch=10, request_timeout_s=120) as notify,
        ):
            try:
                worked_off_earlier_cases(kafka, notify)
                publish(kafka.bootstrap_servers, topics.CASES, [opened(case_id, portal) for case_id in cases])
                yield receiver, notify, gate
            finally:
                gate.set()  # a POST held at the gate would hold the receiver's stop

    return start


def worked_off_earlier_cases(kafka, notify: TestClient) -> None:
    """Waits until notify has stored and dispatched the topic's earlier tests' cases: once a
    held POST stops the dispatcher, each poll of them would wait the hold out, and the test's
    time would grow with the suite."""
    state = notify.app.state.notify
    ends = end_offsets(kafka.bootstrap_servers, topics.CASES)
    wait_until(
        lambda: (
            all(state.app.stored_position(topics.CASES, p) == end - 1 for p, end in ends.items() if end)
            and state.dispatcher.behind == 0
        )
    )


def test_the_consumer_waits_for_a_dispatcher_held_up_by_a_slow_webhook_and_goes_on_when_it_answers(held_up):
    """What the consumer stored and the dispatcher has not handed over waits in the store, and
    past what notify holds in memory each event is read back and decoded again: under a burst
    the dispatcher fell thousands of events behind. So the consumer waits for it, and the rest
    waits in Kafka."""
    cases = [uuid.uuid4() for _ in range(120)]
    with held_up(cases) as (receiver, notify, gate):
        dispatcher = notify.app.state.notify.dispatcher
        wait_until(lambda: receiver.waiting)  # the dispatcher's POST is held up
        behind = []
        for _ in range(20):
            behind.append(dispatcher.behind)
            time.sleep(0.1)
        # 15 behind, and a poll of 10 records past it (each stores a delivery asked for, and
        # may start a case's record) at most; the dispatcher does not move meanwhile
        assert 0 < max(behind) <= 15 + 2 * 10 and behind[0] == behind[-1]
        assert deliveries(notify, cases[-1]) == []  # not consumed yet

        gate.set()
        assert all(settled(notify, case_id)[0]["state"] == "delivered" for case_id in cases)
        delivered = [event["subject"] for r in receiver.received for event in json.loads(r["body"])]
        assert sorted(delivered) == sorted(str(case_id) for case_id in cases)


def test_a_consumer_held_back_longer_than_its_limit_goes_on_consuming(held_up, monkeypatch, caplog):
    """A dispatcher stuck on its peer slows the consumer down without stopping it, and the
    consumer polls well within Kafka's max.poll.interval.ms."""
    monkeypatch.setattr(projection_consumer, "HOLD_MAX_S", 0.2)
    cases = [uuid.uuid4() for _ in range(60)]
    with held_up(cases) as (receiver, notify, gate):
        wait_until(lambda: all(deliveries(notify, case_id) for case_id in cases))  # all consumed
        assert receiver.waiting == 1 and receiver.received == []  # while the first POST is still held

        gate.set()
        assert all(settled(notify, case_id)[0]["state"] == "delivered" for case_id in cases)
    assert "dispatch:webhook is still" in caplog.text and "consuming on" in caplog.text


def wait_until(condition, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)

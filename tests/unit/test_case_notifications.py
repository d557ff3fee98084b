"""A case's delivery record: a delivery is parked, naming its case and portal for the list of
parked deliveries, and only a parked one may be asked for again. The list (on a real SQLite
store) holds what each delivery's last change in a batch left."""

from uuid import uuid4

from onestep_notify.adapters.parked_view import parked_view
from onestep_notify.application import Notifier
from onestep_notify.domain.deliveries import REFUSED, UNREACHABLE, CaseNotifications
from onestep_notify.parked_projection import ParkedProjection


def names(record: CaseNotifications) -> list[str]:
    return [type(event).__name__ for event in record.collect_events()]


def requested(portal: str = "portal-a") -> tuple[CaseNotifications, str]:
    record = CaseNotifications(case_id=str(uuid4()), portal=portal)
    event_id = str(uuid4())
    record.request(event_id, "onestep.case.opened", "webhook", portal, '{"id": "1"}')
    return record, event_id


def test_a_delivery_that_fails_its_last_attempt_is_parked_naming_its_case_and_portal():
    record, event_id = requested()
    record.record_attempt(event_id, "webhook", "failed", "HTTP 503", final=False)
    record.record_attempt(event_id, "webhook", "parked", "HTTP 503; gave up after 2 attempts", final=True)
    events = record.collect_events()
    assert [type(event).__name__ for event in events] == [
        "Started",
        "DeliveryRequested",
        "DeliveryAttempted",
        "DeliveryAttempted",
        "DeliveryParked",
    ]
    parked = events[-1]
    assert (parked.case_id, parked.portal, parked.kind) == (record.case_id, "portal-a", UNREACHABLE)
    assert record.deliveries[f"{event_id}/webhook"]["state"] == "parked"


def test_only_a_parked_delivery_is_asked_for_again_and_its_attempts_are_kept():
    record, event_id = requested()
    assert not record.redeliver(event_id, "webhook", "{}")  # pending
    record.record_attempt(event_id, "webhook", "parked", "HTTP 410: the portal refused it", True, REFUSED)
    record.collect_events()
    assert record.redeliver(event_id, "webhook", '{"id": "1"}')
    assert not record.redeliver(event_id, "webhook", '{"id": "1"}')  # pending again
    assert not record.redeliver(str(uuid4()), "webhook", "{}")  # not this record's
    [again] = record.collect_events()
    assert type(again).__name__ == "RedeliveryRequested"
    assert (again.event_id, again.event_type, again.target, again.body) == (
        event_id,
        "onestep.case.opened",
        "portal-a",
        '{"id": "1"}',
    )
    record.record_attempt(event_id, "webhook", "delivered", "HTTP 200", True)
    delivery = record.deliveries[f"{event_id}/webhook"]
    assert delivery["state"] == "delivered" and delivery["redeliveries"] == 1
    assert [attempt["outcome"] for attempt in delivery["attempts"]] == ["parked", "delivered"]
    assert names(record) == ["DeliveryAttempted"]  # delivered: nothing parked


def test_the_list_holds_what_a_deliverys_last_change_in_a_batch_left(tmp_path):
    notifier = Notifier(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "n.db")})
    projection = ParkedProjection(parked_view(notifier))
    record, event_id = requested()
    other, other_id = requested("portal-b")
    for parked in (record, other):
        [delivery] = parked.deliveries.values()
        parked.record_attempt(delivery["event_id"], "webhook", "parked", "HTTP 410", True, REFUSED)
    record.redeliver(event_id, "webhook", "{}")
    record.record_attempt(event_id, "webhook", "parked", "HTTP 503; gave up after 6 attempts", True)
    events = [*record.collect_events(), *other.collect_events()]
    projection.apply(events, 7)
    [row] = projection.of_portal("portal-a", limit=10)
    assert (row["event_id"], row["kind"], row["reason"]) == (
        event_id,
        UNREACHABLE,
        "HTTP 503; gave up after 6 attempts",
    )
    assert [row["event_id"] for row in projection.of_portal("portal-b", limit=10)] == [other_id]
    assert projection.of_portal("portal-a", limit=10, kind=REFUSED) == []
    assert projection.of_portal("portal-a", limit=10, event_ids=[other_id]) == []
    other.redeliver(other_id, "webhook", "{}")
    projection.apply(other.collect_events(), 8)
    assert projection.count("portal-b") == 0 and projection.count("portal-a") == 1
    assert projection.view.max_tracking_id("parked") == 8

"""Events travel as CloudEvents in Kafka binary mode; anything else is one ContractError."""

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4, uuid5

import pytest
from cloudevents.core.bindings import kafka as sdk_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from onestep_contracts import ContractError, DepartmentDecided, Licence, deserialize, envelope, serialize
from onestep_contracts.envelope import addressed_elsewhere, structured_json
from onestep_contracts.events import EVENT_ID_NAMESPACE, deterministic_id

from ..scenarios import submitted_envelope


def decided() -> DepartmentDecided:
    return DepartmentDecided(
        case_id=uuid4(),
        task_id="t-1",
        department="market-regulation",
        outcome="approved",
        licences=[Licence(department="market-regulation", approval="business-licence", number="91430102")],
        decided_by="rules",
        decided_at=datetime(2026, 11, 28, tzinfo=UTC),
    )


def test_an_event_survives_the_trip_through_kafka_headers_and_value():
    event = decided()
    record = serialize(envelope(event, source="test", id="e-1"))
    headers = dict(record.headers)
    assert headers["ce_type"] == b"onestep.department.decided"
    assert headers["ce_subject"] == str(event.case_id).encode()
    assert record.key == str(event.case_id).encode()
    back = deserialize(record.headers, record.value, record.key)
    assert back.id == "e-1" and back.event == event


def test_an_unknown_event_type_is_a_contract_error():
    record = serialize(envelope(decided(), source="test", id="e-1"))
    headers = [(k, b"onestep.nonsense" if k == "ce_type" else v) for k, v in record.headers]
    with pytest.raises(ContractError, match="unknown event type"):
        deserialize(headers, record.value)


def test_data_that_breaks_the_schema_is_a_contract_error():
    record = serialize(envelope(decided(), source="test", id="e-1"))
    with pytest.raises(ContractError, match="does not match"):
        deserialize(record.headers, b'{"case_id": "not-a-uuid"}')


def test_a_value_that_is_not_json_is_a_contract_error():
    record = serialize(envelope(decided(), source="test", id="e-1"))
    with pytest.raises(ContractError, match="json_invalid"):
        deserialize(record.headers, b"\x00\x01 not json")


def test_a_record_broken_in_its_attributes_and_its_data_is_refused_with_both_problems():
    record = serialize(envelope(decided(), source="test", id="e-1"))
    headers = [(name, value) for name, value in record.headers if name != "ce_source"]
    with pytest.raises(ContractError, match="lacks the CloudEvents attributes ce_source; does not match its schema"):
        deserialize(headers, b'{"case_id": "not-a-uuid"}')


# onestep writes and reads the CloudEvents attributes itself (for speed); the CloudEvents SDK is
# the reference it must agree with, so an adapter on any SDK reads and writes the same records.


def test_a_record_onestep_writes_reads_in_the_cloudevents_sdk_with_every_attribute():
    env = envelope(decided(), source="department-gateway.fire", id="e-7")
    record = serialize(env)
    message = sdk_kafka.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
    read = sdk_kafka.from_binary(message, JSONFormat())
    assert read.get_attributes() == {
        "specversion": "1.0",
        "id": "e-7",
        "source": "department-gateway.fire",
        "type": "onestep.department.decided",
        "time": env.time,
        "subject": str(env.event.case_id),
        "dataschema": "urn:onestep:schema:onestep.department.decided:v1",
        "datacontenttype": "application/json",
        "partitionkey": str(env.event.case_id),
    }
    assert read.get_data() == env.event.model_dump(mode="json")


def test_a_record_the_cloudevents_sdk_writes_reads_in_onestep():
    event = decided()
    attributes = {
        "id": "e-8",
        "source": "/departments/fire",
        "type": DepartmentDecided.TYPE,
        "time": datetime(2026, 11, 29, 8, 30, tzinfo=timezone(timedelta(hours=8))),
        "subject": str(event.case_id),
        "datacontenttype": "application/json",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # an extension
    }
    message = sdk_kafka.to_binary(CloudEvent(attributes, event.model_dump(mode="json")), JSONFormat())
    back = deserialize(list(message.headers.items()), message.value, message.key)
    assert (back.id, back.source, back.time, back.event) == ("e-8", "/departments/fire", attributes["time"], event)


def test_a_webhook_body_reads_in_the_cloudevents_sdk_as_the_same_event():
    env = envelope(decided(), source="case-ledger", id="e-9", time=datetime(2026, 11, 29, 7, 0, 1, 5, tzinfo=UTC))
    read = JSONFormat().read(CloudEvent, structured_json(env))
    assert read.get_attributes() == {
        "specversion": "1.0",
        "id": "e-9",
        "source": "case-ledger",
        "type": "onestep.department.decided",
        "time": env.time,
        "subject": str(env.event.case_id),
        "dataschema": "urn:onestep:schema:onestep.department.decided:v1",
        "datacontenttype": "application/json",
    }
    assert read.get_data() == env.event.model_dump(mode="json")


@pytest.mark.parametrize(
    ("header", "raw", "problem"),
    [
        ("ce_id", None, "lacks the CloudEvents attributes ce_id"),
        ("ce_source", b"", "lacks the CloudEvents attributes ce_source"),
        ("ce_specversion", b"0.3", "is CloudEvents '0.3', not 1.0"),
        ("ce_time", b"2026-11-29T08:30:00", "has no offset"),
        ("ce_time", b"yesterday", "decided: its time 'yesterday' is not an RFC 3339 time"),
    ],
)
def test_a_record_whose_cloudevents_attributes_break_the_spec_is_a_contract_error(header, raw, problem):
    record = serialize(envelope(decided(), source="test", id="e-1"))
    headers = [(name, raw if name == header else value) for name, value in record.headers if raw or name != header]
    with pytest.raises(ContractError, match=problem):
        deserialize(headers, record.value)


def test_a_time_in_any_rfc_3339_spelling_is_read():
    record = serialize(envelope(decided(), source="test", id="e-1"))
    headers = [(name, b"2026-11-29t08:30:00.5z" if name == "ce_time" else value) for name, value in record.headers]
    assert deserialize(headers, record.value).time == datetime(2026, 11, 29, 8, 30, 0, 500000, tzinfo=UTC)


def test_an_event_whose_time_has_no_timezone_is_not_encoded():
    with pytest.raises(ContractError, match="no timezone"):
        serialize(envelope(decided(), source="test", id="e-1", time=datetime(2026, 11, 29, 8, 30)))


def test_a_deterministic_id_is_the_name_based_uuid_of_its_parts():
    # Ids already stored and published were made by the uuid module: they must not change.
    for n in range(200):
        parts = (uuid4(), "fire-rescue" * (n % 7), "task", n, "退回" * (n % 3))
        expected = uuid5(EVENT_ID_NAMESPACE, "/".join(str(part) for part in parts))
        assert deterministic_id(*parts) == str(expected)
        assert UUID(deterministic_id(*parts)).version == 5


def test_an_event_for_some_departments_only_travels_with_them_and_another_department_passes_it_over():
    application = serialize(submitted_envelope(uuid4(), ["market-regulation", "fire-rescue"]))
    headers = dict(application.headers)
    assert headers["ce_departments"] == b"market-regulation fire-rescue"
    assert not addressed_elsewhere("fire-rescue")(application.headers)
    assert addressed_elsewhere("urban-management")(application.headers)
    assert addressed_elsewhere("fire")(application.headers)  # a department's whole name, not a part of it

    decision = serialize(envelope(decided(), source="test", id="e-1"))
    assert "ce_departments" not in dict(decision.headers)  # for every reader
    assert not addressed_elsewhere("urban-management")(decision.headers)

    message = sdk_kafka.KafkaMessage(headers=headers, key=application.key, value=application.value)
    assert sdk_kafka.from_binary(message, JSONFormat()).get_attributes()["departments"] == (
        "market-regulation fire-rescue"
    )  # an extension attribute to any CloudEvents reader

"""Events travel as CloudEvents in Kafka binary mode; anything else is one ContractError."""

from datetime import UTC, datetime
from uuid import UUID, uuid4, uuid5

import pytest

from onestep_contracts import ContractError, DepartmentDecided, Licence, deserialize, envelope, serialize
from onestep_contracts.events import EVENT_ID_NAMESPACE, deterministic_id


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
    with pytest.raises(ContractError):
        deserialize(record.headers, b"\x00\x01 not json")


def test_a_deterministic_id_is_the_name_based_uuid_of_its_parts():
    # Ids already stored and published were made by the uuid module: they must not change.
    for n in range(200):
        parts = (uuid4(), "fire-rescue" * (n % 7), "task", n, "退回" * (n % 3))
        expected = uuid5(EVENT_ID_NAMESPACE, "/".join(str(part) for part in parts))
        assert deterministic_id(*parts) == str(expected)
        assert UUID(deterministic_id(*parts)).version == 5

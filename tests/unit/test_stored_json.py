"""The stores' JSON is written by orjson in the library's format: the bytes the library's own
encoder writes, read back by the library's decoder, for every event of a case's course."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

from onestep_gateway.application import DepartmentTasks
from onestep_ledger.domain.case import Case
from onestep_runtime.stored_json import StoredJson

from .case_scenarios import application, decide


def _registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):  # as every application registers
        transcoder.register(transcoding)
    return transcoder


LIBRARY = _registered(JSONTranscoder())
STORED = _registered(StoredJson())


def _state(domain_event) -> dict:
    """What the library's mapper hands its transcoder: the event's fields but its id and version."""
    return {k: v for k, v in domain_event.__dict__.items() if k not in ("originator_id", "originator_version")}


def test_every_event_of_a_case_is_written_as_the_library_writes_it_and_reads_back_equal():
    case = Case.open(uuid4(), application("market", "fire", "urban"), "e1")
    for department in ("market", "fire", "urban"):
        decide(case, department)
    states = [_state(event) for event in case.collect_events()]
    assert len(states) >= 5 and case.status == "approved"
    for state in states:
        written = STORED.encode(state)
        assert written == LIBRARY.encode(state)
        assert LIBRARY.decode(written) == state == STORED.decode(written)


def test_values_json_lacks_go_through_the_registered_transcodings_at_any_depth():
    state = {
        "timestamp": datetime(2026, 12, 3, 9, 30, tzinfo=UTC),
        "nested": {"fee": Decimal("12.50"), "moments": [datetime(2026, 1, 1, tzinfo=UTC)]},
        "text": "食品经营许可 ✓",
        "numbers": [0, -1, 2.5, 1e-3, True, None],
    }
    written = STORED.encode(state)
    assert written == LIBRARY.encode(state)
    assert STORED.decode(written) == state


def test_what_orjson_writes_its_own_way_or_refuses_is_written_by_the_library():
    with_uuid = {"case_id": uuid4(), "note": "a field holding a UUID"}
    assert STORED.encode(with_uuid) == LIBRARY.encode(with_uuid)
    assert STORED.decode(STORED.encode(with_uuid)) == with_uuid
    past_64_bits = {"count": 2**70}
    assert STORED.encode(past_64_bits) == LIBRARY.encode(past_64_bits)
    int_keys = {"by_round": {1: "first"}}
    assert STORED.encode(int_keys) == LIBRARY.encode(int_keys)


def test_a_value_of_an_unregistered_type_is_refused_with_the_librarys_error():
    with pytest.raises(TranscodingNotRegisteredError):
        STORED.encode({"odd": object()})


def test_nan_for_which_json_has_no_word_is_written_null():
    assert STORED.decode(STORED.encode({"score": math.nan})) == {"score": None}


def test_onestep_services_write_their_stores_with_it_unless_told_otherwise():
    memory = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    assert type(DepartmentTasks(env=memory, department="x").mapper.transcoder) is StoredJson
    library = {**memory, "TRANSCODER_TOPIC": "eventsourcing.persistence:JSONTranscoder"}
    assert type(DepartmentTasks(env=library, department="x").mapper.transcoder) is JSONTranscoder

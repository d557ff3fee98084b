"""CloudEvents envelope in Kafka binary mode: attributes in `ce_*` headers, data as JSON.

onestep reads and writes the CloudEvents attributes itself rather than through the SDK: the
SDK's Kafka binding took about 17 µs a record each way (validating a generic event, parsing
the time with dateutil), five times what pydantic takes for the event's data, and every
service spent most of its decoding there. What is written here is checked against the SDK
in the tests, both ways, so a department's adapter on any CloudEvents SDK reads and writes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from dateutil.parser import isoparse
from pydantic import ValidationError

from .errors import ContractError
from .events import EVENT_TYPES, IntegrationEvent

DATA_CONTENT_TYPE = "application/json"
SPEC_VERSION = "1.0"
# An extension attribute: the departments an event is for, when it is for some only (space-separated).
DEPARTMENTS = "departments"
# Binary mode: every attribute is a `ce_` header, but datacontenttype is the `content-type` header.
_REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type")


def dataschema_for(event_type: type[IntegrationEvent]) -> str:
    return f"urn:onestep:schema:{event_type.TYPE}:v{event_type.VERSION}"


Headers = Sequence[tuple[str, bytes]] | None


def header(headers: Headers, name: str) -> bytes | None:
    """A record's header by its exact name, without decoding the record (a plain loop: a
    generator took three times as long, for every record a consumer passes over)."""
    for key, value in headers or ():
        if key == name:
            return value
    return None


@dataclass(frozen=True)
class Envelope:
    """An integration event with the CloudEvents attributes it travels with."""

    id: str
    source: str
    time: datetime
    event: IntegrationEvent

    @property
    def type(self) -> str:
        return self.event.TYPE

    @property
    def subject(self) -> str:
        return str(self.event.case_id)


@dataclass(frozen=True)
class KafkaRecord:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def envelope(event: IntegrationEvent, *, source: str, id: str, time: datetime | None = None) -> Envelope:
    return Envelope(id=id, source=source, time=time or datetime.now(UTC), event=event)


def _attributes(env: Envelope) -> dict[str, str]:
    """The envelope's CloudEvents attributes as strings; ContractError for one the spec refuses."""
    if not env.id or not env.source:
        raise ContractError(f"cannot encode {env.type}: a CloudEvent needs a non-empty id and source")
    if env.time.tzinfo is None:
        raise ContractError(f"cannot encode {env.type}: its time has no timezone")
    attributes = {
        "specversion": SPEC_VERSION,
        "id": env.id,
        "source": env.source,
        "type": env.type,
        "time": _rfc3339(env.time),
        "subject": env.subject,
        "dataschema": dataschema_for(type(env.event)),
        "datacontenttype": DATA_CONTENT_TYPE,
    }
    addressees = env.event.addressees()
    if addressees is not None:
        attributes[DEPARTMENTS] = " ".join(addressees)
    return attributes


def addressed_elsewhere(department: str) -> Callable[[Headers], bool]:
    """Whether a record's `departments` attribute names departments other than `department`
    only: what its gateway passes over without decoding it (a province has dozens of
    departments, and each application is for a few). A record without the attribute (written
    before it was, or for every department) is anyone's."""
    mine = department.encode()
    name = f"ce_{DEPARTMENTS}"

    def elsewhere(headers: Headers) -> bool:
        addressees = header(headers, name)
        return addressees is not None and mine not in addressees.split()

    return elsewhere


def _rfc3339(time: datetime) -> str:
    text = time.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def structured_json(env: Envelope) -> bytes:
    """The envelope as one CloudEvents JSON document (structured mode), e.g. for a webhook body."""
    head = json.dumps(_attributes(env), separators=(",", ":"))
    return f'{head[:-1]},"data":{env.event.model_dump_json()}}}'.encode()


def serialize(env: Envelope) -> KafkaRecord:
    """The Kafka record for an envelope, keyed by case_id."""
    attributes = _attributes(env)
    content_type = attributes.pop("datacontenttype")
    headers = [(f"ce_{name}", value.encode()) for name, value in attributes.items()]
    headers.append(("content-type", content_type.encode()))
    return KafkaRecord(key=attributes["subject"].encode(), value=env.event.model_dump_json().encode(), headers=headers)


def deserialize(headers: Headers, value: bytes | None, key: bytes | None = None) -> Envelope:
    """The envelope of a Kafka record; ContractError, naming every problem, for anything that is
    not a known event."""
    header_map = {name.lower(): raw for name, raw in headers or ()}
    event_type = header_map.get("ce_type", b"").decode(errors="replace")
    model = EVENT_TYPES.get(event_type)
    if model is None:
        raise ContractError(f"unknown event type {event_type!r}")
    problems = []
    try:
        event_id, source, time = _read_attributes(header_map)
    except ValueError as exc:  # UnicodeDecodeError is one
        problems.append(str(exc))
    try:
        event = model.model_validate_json(value or b"")
    except ValidationError as exc:
        # Without the input values: they may be personal data, and this message is logged.
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        problems.append(f"does not match its schema: {errors}")
    if problems:
        raise ContractError(f"undecodable {event_type}: {'; '.join(problems)}")
    return Envelope(id=event_id, source=source, time=time, event=event)


def _read_attributes(headers: dict[str, bytes]) -> tuple[str, str, datetime]:
    """A record's id, source and time; ValueError naming what breaks the spec."""
    if missing := [name for name in _REQUIRED_HEADERS if not headers.get(name)]:
        raise ValueError(f"lacks the CloudEvents attributes {', '.join(missing)}")
    if headers["ce_specversion"] != SPEC_VERSION.encode():
        raise ValueError(f"is CloudEvents {headers['ce_specversion'].decode(errors='replace')!r}, not {SPEC_VERSION}")
    return headers["ce_id"].decode(), headers["ce_source"].decode(), _time(headers.get("ce_time"))


def _time(raw: bytes | None) -> datetime:
    """The event's time (RFC 3339, so with its offset); now if it has none, as the SDK reads it."""
    if raw is None:
        return datetime.now(UTC)
    text = raw.decode()
    try:
        time = datetime.fromisoformat(text)  # the C parser; it takes what onestep writes
    except ValueError:
        try:
            time = isoparse(text)  # the rest of RFC 3339 (a lower-case 't' or 'z', ...)
        except ValueError:
            raise ValueError(f"its time {text!r} is not an RFC 3339 time") from None
    if time.tzinfo is None:
        raise ValueError(f"its time {text!r} has no offset")
    return time

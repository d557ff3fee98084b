"""onestep contracts: the events, envelope, topics and catalogue every service speaks."""

from .envelope import Envelope, KafkaRecord, deserialize, envelope, serialize
from .errors import ContractError
from .events import (
    Applicant,
    ApplicationSubmitted,
    CaseApproved,
    CaseOpened,
    CaseRejected,
    DepartmentDecided,
    IntegrationEvent,
    Licence,
    MaterialRef,
    RouteStep,
    deterministic_id,
)

__all__ = [
    "Applicant",
    "ApplicationSubmitted",
    "CaseApproved",
    "CaseOpened",
    "CaseRejected",
    "ContractError",
    "DepartmentDecided",
    "Envelope",
    "IntegrationEvent",
    "KafkaRecord",
    "Licence",
    "MaterialRef",
    "RouteStep",
    "deserialize",
    "deterministic_id",
    "envelope",
    "serialize",
]

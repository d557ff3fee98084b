"""Integration events: what services and department adapters see of each other.

Evolution rule: a new optional field is additive (readers ignore fields they do not know);
anything else is a new VERSION of the event type with an upcaster.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field

# Fixed namespace so that the same fact always gets the same event id, in every process:
# consumers drop a re-published event by its id.
EVENT_ID_NAMESPACE = UUID("5b0e1c8e-6a57-4f7e-9d8e-0e5a3c1f2b71")

Outcome = Literal["approved", "rejected", "supplement_required"]


def deterministic_id(*parts: object) -> str:
    """An id derived from the parts that identify a fact (e.g. case id + department)."""
    return str(uuid5(EVENT_ID_NAMESPACE, "/".join(str(part) for part in parts)))


class ContractModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class IntegrationEvent(ContractModel):
    """Base of every event on a topic. TYPE is the CloudEvents `type`."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    case_id: UUID


class Applicant(ContractModel):
    name: str = Field(min_length=1, max_length=200)
    id_type: Literal["resident_id", "passport", "unified_social_credit_code"]
    id_number: str = Field(min_length=4, max_length=40)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=200)


class MaterialRef(ContractModel):
    code: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class RouteStep(ContractModel):
    """One department's part of a case, resolved once at submission."""

    department: str
    approvals: list[str]
    promised_days: int
    due_at: datetime


class Licence(ContractModel):
    department: str
    approval: str
    number: str


class ApplicationSubmitted(IntegrationEvent):
    TYPE: ClassVar[str] = "onestep.application.submitted"

    item: str
    item_version: int
    portal: str
    region: str = Field(description="GB/T 2260 code of the region handling the case")
    accepted_region: str = Field(description="GB/T 2260 code of the region that accepted it")
    applicant: Applicant
    form: dict[str, Any]
    materials: list[MaterialRef]
    route: list[RouteStep]
    promised_days: int
    due_at: datetime
    submitted_at: datetime
    fingerprint: str = Field(
        default="",
        description="sha256 of the portal's request body; a retry under the same Idempotency-Key "
        "with a different fingerprint is a different application and is refused",
    )


class DepartmentDecided(IntegrationEvent):
    TYPE: ClassVar[str] = "onestep.department.decided"

    task_id: str
    department: str
    outcome: Outcome
    reason: str = ""
    licences: list[Licence] = []
    missing: list[str] = []
    decided_by: str
    decided_at: datetime


class CaseOpened(IntegrationEvent):
    TYPE: ClassVar[str] = "onestep.case.opened"

    portal: str
    item: str
    region: str
    accepted_region: str
    departments: list[str]
    due_at: datetime
    opened_at: datetime


class CaseApproved(IntegrationEvent):
    TYPE: ClassVar[str] = "onestep.case.approved"

    portal: str
    item: str
    licences: list[Licence]
    approved_at: datetime


class CaseRejected(IntegrationEvent):
    TYPE: ClassVar[str] = "onestep.case.rejected"

    portal: str
    item: str
    department: str
    reason: str
    rejected_at: datetime


EVENT_TYPES: dict[str, type[IntegrationEvent]] = {
    model.TYPE: model for model in (ApplicationSubmitted, DepartmentDecided, CaseOpened, CaseApproved, CaseRejected)
}

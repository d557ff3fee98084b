"""Integration events: what services and department adapters see of each other.

Evolution rule: a new optional field is additive (readers ignore fields they do not know);
anything else is a new VERSION of the event type with an upcaster.
"""

from __future__ import annotations

from datetime import date, datetime
from hashlib import sha1
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Fixed namespace so that the same fact always gets the same event id, in every process:
# consumers drop a re-published event by its id.
EVENT_ID_NAMESPACE = UUID("5b0e1c8e-6a57-4f7e-9d8e-0e5a3c1f2b71")
_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes

Outcome = Literal["approved", "rejected", "supplement_required"]


def deterministic_id(*parts: object) -> str:
    """An id derived from the parts that identify a fact (e.g. case id + department): the
    name-based UUID (version 5, RFC 9562) of the parts joined by "/". Written out straight from
    its SHA-1 digest: through the uuid module's objects it cost three times as much, and every
    record and stored event of a case takes one."""
    digest = bytearray(sha1(_NAMESPACE_BYTES + "/".join(str(part) for part in parts).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC variant
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def task_id_for(case_id: object, department: str, round_: int = 1) -> str:
    """The id of a department's task in a case; a review after a supplement is a new round."""
    if round_ == 1:
        return deterministic_id(case_id, department, "task")
    return deterministic_id(case_id, department, "task", round_)


class ContractModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class IntegrationEvent(ContractModel):
    """Base of every event on a topic. TYPE is the CloudEvents `type`."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    case_id: UUID

    def addressees(self) -> list[str] | None:
        """The departments the event is for, when it is for some only: it travels with them (the
        `departments` attribute), and a gateway of another department passes it over undecoded."""
        return None


class Applicant(ContractModel):
    name: str = Field(min_length=1, max_length=200)
    id_type: Literal["resident_id", "passport", "unified_social_credit_code"]
    id_number: str = Field(min_length=4, max_length=40)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=200)


class MaterialRef(ContractModel):
    """A material given as an uploaded file (sha256) or as an electronic licence the
    applicant already holds (its number)."""

    code: str
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    licence: str | None = Field(default=None, min_length=4, max_length=60, description="e-licence number")

    @model_validator(mode="after")
    def _one_source(self) -> MaterialRef:
        if (self.sha256 is None) == (self.licence is None):
            raise ValueError("give either sha256 (an uploaded file) or licence (an e-licence number)")
        return self


class MaterialPromise(ContractModel):
    """Accept now, supply later: a promisable material the applicant undertakes to give by a date."""

    code: str
    by: date


class Baseline(ContractModel):
    """An item's separate procedures before the reform (documents, days, visits), carried per
    case so that the cut is measured per case."""

    procedures: int = Field(gt=0)
    documents: int = Field(gt=0)
    days: int = Field(gt=0)
    visits: int = Field(ge=0)


class RouteStep(ContractModel):
    """One department's part of a case, resolved once at submission."""

    department: str
    approvals: list[str]
    promised_days: int
    due_at: datetime = Field(description="for a step that needs others first, the due time if they finish on time")
    needs: list[str] = Field(default=[], description="approvals of other departments this step waits for")
    legal_days: int | None = None


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
    promises: list[MaterialPromise] = []
    promised_days: int
    due_at: datetime
    submitted_at: datetime
    baseline: Baseline | None = None
    fingerprint: str = Field(
        default="",
        description="sha256 of the portal's request body; a retry under the same Idempotency-Key "
        "with a different fingerprint is a different application and is refused",
    )

    def addressees(self) -> list[str]:
        return [step.department for step in self.route]


class SupplementProvided(IntegrationEvent):
    """The applicant's answer to a supplement notice, or promised materials supplied."""

    TYPE: ClassVar[str] = "onestep.application.supplemented"

    portal: str
    materials: list[MaterialRef] = []
    answers: dict[str, Any] = Field(default={}, description="form fields answered again")
    supplied_at: datetime


class WithdrawalRequested(IntegrationEvent):
    TYPE: ClassVar[str] = "onestep.application.withdrawal-requested"

    portal: str
    reason: str = ""
    requested_at: datetime


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
    gateway: str | None = Field(
        default=None,
        description="the gateway (its consumer group) that took the task; its decision says it was accepted too",
    )


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


class TaskOpened(IntegrationEvent):
    """A department's task that opens after submission: when the licences it needs were issued,
    or for a new round of review after a supplement. (Tasks with nothing to wait for open from
    ApplicationSubmitted itself.)"""

    TYPE: ClassVar[str] = "onestep.task.opened"

    task_id: str
    department: str
    round: int
    item: str
    item_version: int
    region: str
    accepted_region: str
    form: dict[str, Any]
    materials: list[MaterialRef]
    approvals: list[str]
    licences: list[Licence] = Field(default=[], description="electronic licences passed to this task")
    due_at: datetime
    opened_at: datetime

    def addressees(self) -> list[str]:
        return [self.department]


class TaskAccepted(IntegrationEvent):
    """A department's gateway has taken the task into its record (published on the decisions
    topic): the task reached a gateway that serves its region. A task no gateway accepts within
    the ledger's routing window is reported on the case as unroutable. A gateway whose adapter
    decides the task at once publishes the decision alone, naming itself (`gateway`)."""

    TYPE: ClassVar[str] = "onestep.task.accepted"

    task_id: str
    department: str
    gateway: str = Field(description="the accepting gateway (its consumer group)")
    regions: list[str] = Field(default=[], description="region prefixes the gateway serves; empty: every region")
    accepted_at: datetime


class TaskUnroutable(IntegrationEvent):
    """No gateway of the department took the task within the routing window: no gateway serves
    the case's region, or every one that does is down. The task stays open; a gateway that takes
    it later clears the mark (TaskAccepted)."""

    TYPE: ClassVar[str] = "onestep.task.unroutable"

    task_id: str
    department: str
    region: str
    opened_at: datetime
    reported_at: datetime


class TaskCancelled(IntegrationEvent):
    TYPE: ClassVar[str] = "onestep.task.cancelled"

    task_id: str
    department: str
    reason: str
    cancelled_at: datetime

    def addressees(self) -> list[str]:
        return [self.department]


class SupplementRequest(ContractModel):
    department: str
    missing: list[str]
    reason: str = ""


class SupplementRequested(IntegrationEvent):
    """One notice to the applicant, merging what every department asked for."""

    TYPE: ClassVar[str] = "onestep.case.supplement-requested"

    portal: str
    item: str
    requests: list[SupplementRequest]
    requested_at: datetime


class CaseWithdrawn(IntegrationEvent):
    TYPE: ClassVar[str] = "onestep.case.withdrawn"

    portal: str
    item: str
    reason: str
    withdrawn_at: datetime


class TaskReminder(IntegrationEvent):
    """A yellow card: the department's open task is due soon (by default one working day)."""

    TYPE: ClassVar[str] = "onestep.task.reminder"

    task_id: str
    department: str
    level: Literal["yellow"] = "yellow"
    due_at: datetime
    reminded_at: datetime


class TaskOverdue(IntegrationEvent):
    """A red card: the department's open task is past its due time and still undecided."""

    TYPE: ClassVar[str] = "onestep.task.overdue"

    task_id: str
    department: str
    level: Literal["red"] = "red"
    due_at: datetime
    overdue_at: datetime


class PromiseMissed(IntegrationEvent):
    """A material promised at submission was not supplied by its day; the case stays open."""

    TYPE: ClassVar[str] = "onestep.case.promise-missed"

    portal: str
    item: str
    code: str
    by: date
    missed_at: datetime


EVENT_TYPES: dict[str, type[IntegrationEvent]] = {
    model.TYPE: model
    for model in (
        ApplicationSubmitted,
        SupplementProvided,
        WithdrawalRequested,
        DepartmentDecided,
        TaskAccepted,
        CaseOpened,
        TaskOpened,
        TaskCancelled,
        SupplementRequested,
        CaseApproved,
        CaseRejected,
        CaseWithdrawn,
        TaskReminder,
        TaskOverdue,
        TaskUnroutable,
        PromiseMissed,
    )
}

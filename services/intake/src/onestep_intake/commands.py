"""What a portal sends to intake, as the service layer takes it."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from onestep_contracts import Applicant, MaterialPromise, MaterialRef


class SubmitApplication(BaseModel):
    """An application for one catalogue item, with one form and one set of materials."""

    model_config = ConfigDict(extra="forbid")

    item: str = Field(description="catalogue item code, e.g. open-restaurant")
    region: str = Field(description="GB/T 2260 code of the region that handles the case, e.g. 430102")
    accepted_region: str | None = Field(
        default=None, description="GB/T 2260 code of the region where it was accepted; defaults to region"
    )
    applicant: Applicant
    form: dict[str, Any] = Field(description="answers to the item's unified form (see GET /v1/items/{code})")
    materials: list[MaterialRef] = Field(
        description="materials by item material code: an uploaded file (sha256) or an e-licence number (licence)"
    )
    promises: list[MaterialPromise] = Field(
        default=[], description="promisable materials the applicant will supply by a date (accept now, supply later)"
    )


class SupplyMaterials(BaseModel):
    """The applicant's answer to a supplement notice, or materials promised at submission."""

    model_config = ConfigDict(extra="forbid")

    materials: list[MaterialRef] = Field(default=[], description="materials asked for, as files or e-licences")
    answers: dict[str, Any] = Field(default={}, description="form fields answered again")


class Withdraw(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=500)

"""What a portal sends to intake, as the service layer takes it."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from onestep_contracts import Applicant, MaterialRef


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
    materials: list[MaterialRef] = Field(description="uploaded materials, by item material code and sha256")

"""The catalogue: what can be applied for, with its unified form and material list."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from onestep_runtime.problems import Problem

from ...bootstrap import Intake
from ..dependencies import intake

router = APIRouter(tags=["catalogue"])


def _summary(item) -> dict[str, Any]:
    return {
        "code": item.code,
        "version": item.version,
        "title": item.title.model_dump(),
        "promised_days": item.promised_days,
        "departments": [part.department for part in item.departments],
    }


@router.get("/items", summary="Items in force")
def list_items(context: Annotated[Intake, Depends(intake)]) -> dict[str, Any]:
    return {"items": [_summary(item) for item in context.service.catalogue.in_force()]}


@router.get("/items/{code}", summary="One item: unified form schema, materials, departments")
def get_item(code: str, context: Annotated[Intake, Depends(intake)]) -> dict[str, Any]:
    item = context.service.catalogue.item(code)
    if item is None:
        raise Problem(404, "No such item", detail=f"{code!r} is not in the catalogue; see GET /v1/items")
    return item.model_dump(mode="json")

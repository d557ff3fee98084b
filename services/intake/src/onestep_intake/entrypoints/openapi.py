"""The application request's schema in OpenAPI.

The route reads its body itself (so that shape errors and catalogue errors are listed
together), so FastAPI does not document it; this declares it, with its nested models
registered as components so that generated portal clients resolve every $ref.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from ..commands import SubmitApplication, SupplyMaterials, Withdraw

_REF_TEMPLATE = "#/components/schemas/{model}"
_COMPONENTS: dict[str, Any] = {}


def request_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """The `openapi_extra` declaring a route's body, its nested models kept as components."""
    schema = model.model_json_schema(ref_template=_REF_TEMPLATE)
    _COMPONENTS.update(schema.pop("$defs", {}))
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}}


# Read by the applications route itself (see its idempotency_key).
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "A unique key per application, sent again on retries: a retry never makes a second case",
    "schema": {"type": "string", "maxLength": 200, "title": "Idempotency-Key"},
}


APPLICATION_BODY = request_body(SubmitApplication)
SUPPLEMENT_BODY = request_body(SupplyMaterials)
WITHDRAW_BODY = request_body(Withdraw, required=False)


def register_request_components(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            generate().setdefault("components", {}).setdefault("schemas", {}).update(_COMPONENTS)
        return app.openapi_schema

    app.openapi = openapi

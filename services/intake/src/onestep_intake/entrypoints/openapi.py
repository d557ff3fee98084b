"""The application request's schema in OpenAPI.

The route reads its body itself (so that shape errors and catalogue errors are listed
together), so FastAPI does not document it; this declares it, with its nested models
registered as components so that generated portal clients resolve every $ref.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from ..commands import SubmitApplication

_REF_TEMPLATE = "#/components/schemas/{model}"


def _request_schema() -> tuple[dict[str, Any], dict[str, Any]]:
    schema = SubmitApplication.model_json_schema(ref_template=_REF_TEMPLATE)
    return schema, schema.pop("$defs", {})


APPLICATION_SCHEMA, _COMPONENTS = _request_schema()
APPLICATION_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": APPLICATION_SCHEMA}}}}


def register_request_components(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            generate().setdefault("components", {}).setdefault("schemas", {}).update(_COMPONENTS)
        return app.openapi_schema

    app.openapi = openapi

"""Each service's OpenAPI document is whole: a portal or department can generate a client from it."""

import json
import re

import pytest

from onestep_gateway.entrypoints.api import create_app as gateway_app
from onestep_gateway.settings import GatewaySettings
from onestep_intake.entrypoints.api import create_app as intake_app
from onestep_ledger.entrypoints.api import create_app as ledger_app
from onestep_notify.entrypoints.api import create_app as notify_app

APPS = {
    "intake": lambda: intake_app(),
    "case-ledger": lambda: ledger_app(),
    "notify": lambda: notify_app(),
    "department-gateway": lambda: gateway_app(GatewaySettings(department="fire-rescue")),
}


@pytest.mark.parametrize("service", APPS)
def test_every_reference_in_the_openapi_document_resolves(service):
    spec = APPS[service]().openapi()
    components = set(spec.get("components", {}).get("schemas", {}))
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert refs <= components, f"dangling: {sorted(refs - components)}"


def test_the_application_request_is_documented_with_its_applicant_and_materials():
    spec = intake_app().openapi()
    body = spec["paths"]["/v1/applications"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) >= {"item", "region", "applicant", "form", "materials"}
    assert {"Applicant", "MaterialRef"} <= set(spec["components"]["schemas"])


def test_the_application_request_documents_its_idempotency_key():
    operation = intake_app().openapi()["paths"]["/v1/applications"]["post"]
    [key] = [parameter for parameter in operation["parameters"] if parameter["name"] == "Idempotency-Key"]
    assert key["in"] == "header" and key["required"] and key["schema"]["maxLength"] == 200


@pytest.mark.parametrize(
    "path", ["/v1/applications", "/v1/applications/{case_id}/supplements", "/v1/applications/{case_id}/withdraw"]
)
def test_every_request_about_an_application_documents_its_refusals_as_problems(path):
    responses = intake_app().openapi()["paths"][path]["post"]["responses"]
    for status in ("400", "401", "413", "422", "503"):
        assert "application/problem+json" in responses[status]["content"], status

"""An intake run in the test's process against the real broker, and how tests call it."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from onestep_intake.entrypoints.api import create_app
from onestep_intake.settings import IntakeSettings

from ..scenarios import RESTAURANT_MATERIALS, material_bytes, new_key

KEY = "intake-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


def intake_client(tmp_path, bootstrap: str, *, wait_ready: bool = True) -> TestClient:
    settings = IntakeSettings(
        kafka_bootstrap_servers=bootstrap,
        portal_keys={"portal-a": KEY},
        materials_dir=tmp_path / "materials",
        publish_timeout_s=2,
    )
    client = TestClient(create_app(settings))
    client.__enter__()
    for code in RESTAURANT_MATERIALS:
        client.post("/v1/materials", headers=AUTH, files={"file": (code, material_bytes(code))})
    deadline = time.monotonic() + 30
    while wait_ready and client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, client.get("/readyz").json()
        time.sleep(0.2)
    return client


def submit(client: TestClient, body, *, key: str | None = None, headers: dict | None = None):
    return client.post(
        "/v1/applications", json=body, headers={**AUTH, "Idempotency-Key": key or new_key(), **(headers or {})}
    )


def pointers(response) -> list[str]:
    return [error["pointer"] for error in response.json()["errors"]]

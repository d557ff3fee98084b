"""A case-ledger run in the test's process against the real broker, and how tests read it."""

from __future__ import annotations

import time
from contextlib import contextmanager

from fastapi.testclient import TestClient

from onestep_ledger.entrypoints.api import create_app
from onestep_ledger.settings import LedgerSettings

KEY = "ledger-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
OTHER_PORTAL_AUTH = {"Authorization": "Bearer other-portal-key"}


@contextmanager
def running_ledger(kafka, env: dict[str, str], group: str, **parts):
    settings = LedgerSettings(
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        portal_keys={"portal-a": KEY, "portal-b": "other-portal-key"},
        consumer_group=group,
        sweep_interval_s=0.2,
    )
    with TestClient(create_app(settings, env=env, **parts)) as client:
        yield client


def wait_for(probe, timeout_s: float = 60.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := probe():
            return result
        time.sleep(0.2)
    raise AssertionError("timed out")


def case(client, case_id) -> dict | None:
    response = client.get(f"/v1/cases/{case_id}", headers=AUTH)
    return response.json() if response.status_code == 200 else None

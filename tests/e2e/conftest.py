from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from onestep_local.stack import PORTAL_KEY, System

from ..peers import WebhookReceiver
from ..scenarios import RESTAURANT_MATERIALS, material_bytes


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def system(kafka, tmp_path, webhook) -> Iterator[System]:
    running = System(kafka, tmp_path / "system", webhook_url=webhook.url, run_id=uuid.uuid4().hex[:8])
    try:
        yield running.start()
    finally:
        running.stop()


NEWBORN_DEPARTMENTS = (
    "health",
    "public-security",
    "medical-security",
    "human-resources-social-security",
    "maternity-insurance",
)


@pytest.fixture
def newborn_system(kafka, tmp_path, webhook) -> Iterator[System]:
    """The system with the five departments of the newborn item."""
    running = System(
        kafka,
        tmp_path / "system",
        webhook_url=webhook.url,
        run_id=uuid.uuid4().hex[:8],
        departments=NEWBORN_DEPARTMENTS,
    )
    try:
        yield running.start()
    finally:
        running.stop()


@pytest.fixture
def portal(system: System) -> Iterator[httpx.Client]:
    """A portal's HTTP client, with the restaurant's materials already uploaded to intake."""
    with httpx.Client(headers={"Authorization": f"Bearer {PORTAL_KEY}"}, timeout=15) as client:
        upload_restaurant_materials(client, system["intake"].url)
        yield client


def upload_restaurant_materials(portal: httpx.Client, intake_url: str) -> None:
    for code in RESTAURANT_MATERIALS:
        response = portal.post(f"{intake_url}/v1/materials", files={"file": (f"{code}.pdf", material_bytes(code))})
        assert response.status_code == 201, response.text

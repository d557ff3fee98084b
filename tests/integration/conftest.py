"""Fixtures of the integration tests: each service on its real store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from .intake_client import intake_client

CIPHER_KEY = "4hOI4gsS2PsZh8E6GZdOzlAXjZcK3DyX6ZB9aTGBTdk="


@pytest.fixture(params=["sqlite", "postgres"])
def store_env(request, tmp_path) -> dict[str, str]:
    """The eventsourcing environment of a fresh ledger store, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "ledger.sqlite")}
    else:
        cluster = request.getfixturevalue("postgres")
        name = f"ledger_{uuid.uuid4().hex[:10]}"
        cluster.create_database(name)
        env = cluster.eventsourcing_env(name)
    return {**env, "CIPHER_KEY": CIPHER_KEY}


@pytest.fixture
def intake(kafka, tmp_path) -> Iterator[TestClient]:
    """intake on the real broker, with the restaurant's materials uploaded."""
    client = intake_client(tmp_path, kafka.bootstrap_servers)
    yield client
    client.__exit__(None, None, None)

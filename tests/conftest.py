"""Fixtures shared by every layer: the real Kafka broker and a throwaway PostgreSQL cluster."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from onestep_local.kafka_broker import KafkaBroker, free_port
from onestep_local.postgres import PostgresCluster

TOPIC_PARTITIONS = 3


@contextmanager
def running_broker(home: Path) -> Iterator[KafkaBroker]:
    """A real single-node Kafka broker (KRaft) with onestep's topics."""
    broker = KafkaBroker(home, port=free_port())
    broker.start()
    broker.create_topics(TOPIC_PARTITIONS)
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """One broker for the whole test session."""
    with running_broker(tmp_path_factory.mktemp("kafka")) as broker:
        yield broker


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A real PostgreSQL cluster, created for this session and removed after it."""
    home = Path(tempfile.mkdtemp(prefix="onestep-pg-"))
    cluster = PostgresCluster(home, port=free_port())
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)  # about 0.9 GB a session

"""A single-node Apache Kafka broker in KRaft mode (controller + broker in one process),
run from the official jars that Maven resolves from deploy/kafka/pom.xml.

The same class starts the broker for `make up` (fixed port, data under var/) and for the
tests (free port, temporary folder).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import random
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from onestep_contracts import topics

REPO = Path(__file__).resolve().parents[4]
KAFKA_DIR = REPO / "deploy" / "kafka"
LIBS = KAFKA_DIR / "libs"


class BrokerError(RuntimeError):
    pass


# Below Linux's ephemeral range (32768-60999), so an outgoing connection's source port
# never takes a port handed out here before its service binds it.
_PORTS = range(20000, 32000)
_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, not handed out before by this process."""
    while True:
        port = random.choice(_PORTS)
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port


def ensure_jars() -> None:
    """Resolves the Kafka jars through Maven once; later runs find them in deploy/kafka/libs."""
    if LIBS.is_dir() and any(LIBS.glob("kafka_2.13-*.jar")):
        return
    subprocess.run(["mvn", "-q", "-B", "-f", str(KAFKA_DIR / "pom.xml"), "dependency:copy-dependencies"], check=True)


def _cluster_id() -> str:
    # Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding.
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


class KafkaBroker:
    def __init__(self, home: Path, *, port: int, controller_port: int | None = None, heap: str = "512m"):
        self.home = home
        self.port = port
        self.controller_port = controller_port or free_port()
        self.heap = heap
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        config = self.home / "server.properties"
        config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    f"log.dirs={self.home / 'data'}",
                    "auto.create.topics.enable=false",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=10",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    # one node: let consumer groups form at once
                    "group.initial.rebalance.delay.ms=0",
                    "num.network.threads=2",
                    "num.io.threads=4",
                    "log.retention.hours=168",
                ]
            )
            + "\n"
        )
        return config

    def _java(self, *args: str) -> list[str]:
        return [
            "java",
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.home / 'logs'}",
            "-cp",
            f"{LIBS}/*",
            *args,
        ]

    def start(self, *, timeout_s: float = 90.0, stdout=None) -> None:
        """Formats storage on first start, starts the broker and waits until it answers."""
        ensure_jars()
        config = self._write_config()
        if not (self.home / "data" / "meta.properties").exists():
            subprocess.run(
                # `--cluster-id=<id>`: an id may begin with "-", which a separate argument would not survive
                self._java("kafka.tools.StorageTool", "format", f"--cluster-id={_cluster_id()}", "-c", str(config)),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        log = stdout if stdout is not None else open(self.home / "broker.out", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            self._java("kafka.Kafka", str(config)), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.wait_ready(timeout_s)

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise BrokerError(f"Kafka exited with {self.process.returncode}; see {self.home / 'broker.out'}")
            try:
                with _quiet_client_logs():
                    asyncio.run(_describe_cluster(self.bootstrap_servers))
                return
            except Exception:
                time.sleep(0.5)
        raise BrokerError(f"Kafka did not answer on {self.bootstrap_servers} within {timeout_s}s")

    def create_topics(self, partitions: int) -> None:
        asyncio.run(create_topics(self.bootstrap_servers, partitions))

    def stop(self, timeout_s: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@contextlib.contextmanager
def _quiet_client_logs():
    """While polling a broker that is still starting, connection refusals are expected."""
    logger = logging.getLogger("aiokafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


async def _describe_cluster(bootstrap_servers: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=3000)
    await admin.start()
    try:
        await admin.describe_cluster()
    finally:
        await admin.close()


async def create_topics(bootstrap_servers: str, partitions: int) -> None:
    """Creates onestep's topics (keyed by case_id) with the given partition count, if missing."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, num_partitions=partitions, replication_factor=1)
            for name in topics.ALL
            if name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
    finally:
        await admin.close()


async def topics_exist(bootstrap_servers: str) -> bool:
    with _quiet_client_logs():
        return await _topics_exist(bootstrap_servers)


async def _topics_exist(bootstrap_servers: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=3000)
    await admin.start()
    try:
        return set(topics.ALL) <= set(await admin.list_topics())
    finally:
        await admin.close()

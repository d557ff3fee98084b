"""The transport's own ceiling: Apache Kafka's producer and consumer performance tools (from
the jars the broker runs on) against the same broker, with records the size of onestep's."""

from __future__ import annotations

import asyncio
import re
import subprocess
from dataclasses import asdict, dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from onestep_contracts import topics
from onestep_runtime.kafka import topic_partitions

from ..kafka_broker import KAFKA_DIR, LIBS

TOPIC = "onestep.bench.transport"


@dataclass
class Ceiling:
    record_bytes: int
    records: int
    produced_per_s: float
    produce_p99_ms: float
    consumed_per_s: float

    def as_dict(self) -> dict:
        return asdict(self)


def _java(main: str, *args: str) -> list[str]:
    return [
        "java",
        "-Xmx256m",
        f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.properties'}",
        "-cp",
        f"{LIBS}/*",
        main,
        *args,
    ]


async def _create_topic(bootstrap_servers: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        if TOPIC not in await admin.list_topics():
            await admin.create_topics([NewTopic(TOPIC, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


def measure(bootstrap_servers: str, *, record_bytes: int, records: int, partitions: int) -> Ceiling:
    """Produces `records` records of `record_bytes` as fast as the broker takes them (acks=all,
    idempotent, as onestep's producers), on a topic with as many partitions as onestep's, then
    consumes them all."""
    asyncio.run(_create_topic(bootstrap_servers, partitions))
    produced = subprocess.run(
        _java(
            "org.apache.kafka.tools.ProducerPerformance",
            "--topic", TOPIC,
            "--num-records", str(records),
            "--record-size", str(record_bytes),
            "--throughput", "-1",
            "--producer-props", f"bootstrap.servers={bootstrap_servers}", "acks=all", "enable.idempotence=true",
            "linger.ms=5",
        ),
        check=True, capture_output=True, text=True, timeout=600,
    ).stdout  # fmt: skip
    summary = [line for line in produced.splitlines() if f"{records} records sent" in line][-1]
    per_s = float(re.search(r"([\d.]+) records/sec", summary).group(1))
    p99 = float(re.search(r"([\d.]+) ms 99th", summary).group(1))
    consumed = subprocess.run(
        _java(
            "org.apache.kafka.tools.ConsumerPerformance",
            "--bootstrap-server", bootstrap_servers,
            "--topic", TOPIC,
            "--messages", str(records),
            "--timeout", "60000",
        ),
        check=True, capture_output=True, text=True, timeout=600,
    ).stdout  # fmt: skip
    header, values = [line for line in consumed.splitlines() if line.strip()][-2:]
    row = dict(zip((h.strip() for h in header.split(",")), (v.strip() for v in values.split(",")), strict=False))
    return Ceiling(record_bytes, records, per_s, p99, float(row["nMsg.sec"]))


async def typical_record_bytes(bootstrap_servers: str, sample: int = 200) -> int:
    """The median value size of records on the applications topic: onestep's largest
    message, the one every case begins with."""
    partitions = await topic_partitions(bootstrap_servers, topics.APPLICATIONS)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions[:1])
        await consumer.seek_to_beginning(partitions[0])
        batches = await consumer.getmany(partitions[0], timeout_ms=5000, max_records=sample)
        sizes = sorted(len(record.value) for records in batches.values() for record in records)
    finally:
        await consumer.stop()
    return sizes[len(sizes) // 2]

"""When each case reached its final state: the ledger's `onestep.case.approved` /
`rejected` / `withdrawn` on the cases topic, timed by the record's Kafka timestamp (when the
ledger published it), so the watcher's own lag does not count."""

from __future__ import annotations

import asyncio
from collections import Counter

from aiokafka import AIOKafkaConsumer

from onestep_contracts import topics
from onestep_runtime.kafka import topic_partitions

FINAL_TYPES = {b"onestep.case.approved", b"onestep.case.rejected", b"onestep.case.withdrawn"}


class Finals:
    def __init__(self, bootstrap_servers: str):
        self._bootstrap_servers = bootstrap_servers
        self.at: dict[str, float] = {}  # case id → when its final event was published (s)
        self.outcomes: Counter[str] = Counter()
        self.case_events = 0
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> Finals:
        """Reads from the topic's end as it is now: only cases finished from here on count."""
        assigned = await topic_partitions(self._bootstrap_servers, topics.CASES)
        # Each fetch held until a megabyte or half a second has come: answering one as soon as a
        # record came, the watcher asked about 26 times a second, more than any service. The
        # records' own timestamps time the cases, so its lag changes no figure.
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap_servers,
            enable_auto_commit=False,
            fetch_min_bytes=1 << 20,
            fetch_max_wait_ms=500,
        )
        await self._consumer.start()
        self._consumer.assign(assigned)
        ends = await self._consumer.end_offsets(assigned)
        for partition, offset in ends.items():
            self._consumer.seek(partition, offset)
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=200, max_records=5000)
            for records in batches.values():
                self.case_events += len(records)
                for record in records:
                    kind = dict(record.headers).get("ce_type", b"")
                    if kind in FINAL_TYPES:
                        case_id = record.key.decode()
                        if case_id not in self.at:
                            self.at[case_id] = record.timestamp / 1000
                            self.outcomes[kind.decode().rsplit(".", 1)[1]] += 1

    async def wait_for(self, case_ids, timeout_s: float) -> list[str]:
        """Waits until every case is final; the ones that are not, when the time is up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while (missing := [c for c in case_ids if c not in self.at]) and loop.time() < deadline:
            await asyncio.sleep(0.2)
        return missing

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        if self._consumer:
            await self._consumer.stop()

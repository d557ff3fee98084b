"""Reading a consumer's partitions in about the order their records were written: a partition
that has read too far ahead (by record time) of the furthest-behind one that still has records
waiting is not polled until that one catches up.

Kafka orders records within a partition only. A consumer of several partitions fetches each
one a read-ahead at a time, whatever the records' times, and under a backlog the partitions of
one topic drift ahead of another's, by more with every fetch: the ledger then meets a case's
decisions long before its application, or its application after the case has left its working
set, and reads the case back from the store. A partition more than `skew_ms` ahead of the
furthest behind is left out of the poll; its client keeps the one read-ahead it has fetched and
fetches no more of it meanwhile, so what is held back costs no memory and no fetch again. A
partition with nothing waiting (read to its end) holds nobody back, so a quiet topic holds
nothing up; and the furthest-behind partition is always polled, so the reading goes on. Record
times are their producers' clocks (intake's for an application, a gateway's for a decision): a
producer whose clock is off makes the order rougher, and cannot stop the reading.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from prometheus_client import Gauge

HELD_BACK = Gauge(
    "onestep_consumer_partitions_held_back",
    "Partitions this instance does not poll now: they read ahead (by record time) of another",
    ["service"],
)

P = TypeVar("P", bound=Hashable)


def ahead(waiting: Mapping[P, int], skew_ms: int) -> set[P]:
    """Of the partitions with records waiting (each with the time of the last record read from
    it), those more than `skew_ms` ahead of the furthest behind."""
    if not waiting:
        return set()
    behind = min(waiting.values())
    return {partition for partition, read_to in waiting.items() if read_to > behind + skew_ms}


class TimeOrder:
    """Keeps the partitions one Kafka consumer polls within `skew_ms` of each other by record time."""

    def __init__(self, skew_ms: int, service: str):
        self.skew_ms = skew_ms
        self._held_back = HELD_BACK.labels(service)  # once: labels() is slow, and this is set every poll
        # Per partition read this run: the time of its last record read, and the next offset.
        self._read: dict[TopicPartition, tuple[int, int]] = {}

    def start(self) -> None:
        """A new Kafka consumer: what was read before is forgotten."""
        self._read.clear()
        self._held_back.set(0)

    def forget(self, partition: TopicPartition) -> None:
        """The partition was moved (a seek): it holds back nobody, and is not held back, until read again."""
        self._read.pop(partition, None)

    def partitions_to_poll(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        """The assigned partitions not ahead of the others (all of them: an empty list)."""
        assigned = consumer.assignment()
        waiting = {
            partition: read_to
            for partition, (read_to, next_offset) in self._read.items()
            if partition in assigned and (consumer.highwater(partition) or 0) > next_offset
        }
        held_back = ahead(waiting, self.skew_ms)
        self._held_back.set(len(held_back))
        return list(assigned - held_back) if held_back else []

    def read(self, polled: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        for partition, records in polled.items():
            if records:
                self._read[partition] = (records[-1].timestamp, records[-1].offset + 1)

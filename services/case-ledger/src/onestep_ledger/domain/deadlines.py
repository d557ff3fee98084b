"""The deadline index: the cases to wake in one minute, kept as small aggregates.

A case is indexed at its earliest timer, not at each of its timers: a case's tasks each have a
reminder, an overdue mark and a routing window, and most are decided long before any falls. The
wake-up is written in the same transaction as the case event that made that timer the earliest,
and the ledger's watcher reads one minute at a time once that minute has passed. A woken case
fires every timer then due and is indexed again at its next one; a wake-up whose timer went stale
(its task was decided) finds nothing due and does the same, and a case that has ended has no
next. A case that ends cancels its wake-up in the same minute's index, so the watcher does not
read it back from the store for nothing. Wake-ups cluster (a task opened at 10:03 with 5
promised days is due at 10:03 five working days later), so a consumer batch touches few minutes.

At a peak a minute holds tens of thousands of wake-ups, and every batch appends to its minute.
So the aggregate's state is only a count: each batch appends its wake-ups without the minute's
earlier ones being held in memory or copied, and the watcher reads them from the events. Each
is the case's timer with the case's id (what the index held for every timer before, so a minute
written then is read alike).

A minute has one aggregate per shard: the Kafka partition whose records set the timers (modulo
SHARDS), or WATCHER for the timers the watcher's own firing sets. Ledger instances own
partitions, so two instances never append to the same aggregate; with one aggregate per minute
they did on nearly every batch, and lost their saves to each other (docs/performance-history.md). The
watcher reads every shard of a minute, and the one aggregate of a minute written before shards.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

NAMESPACE = uuid5(NAMESPACE_URL, "onestep/case-ledger/deadlines")


def minute_of(moment: datetime) -> int:
    """Minutes since the epoch: the index's key and the watcher's position."""
    return int(moment.timestamp() // 60)


def earliest(timers: Iterable[dict[str, str]]) -> tuple[int | None, dict[str, str] | None]:
    """The minute of the earliest of these timers, and the first of them that falls in it."""
    first: tuple[int | None, dict[str, str] | None] = (None, None)
    for timer in timers:
        minute = minute_of(datetime.fromisoformat(timer["at"]))
        if first[0] is None or minute < first[0]:
            first = (minute, timer)
    return first


SHARDS = 64  # partitions beyond it share shards (correct; instances may then race on one)
WATCHER = SHARDS  # the shard of the timers the watcher's firing sets
CANCELLED = "cancelled"  # an entry that cancels its case's wake-up in the minute


class Deadlines(Aggregate):
    class Started(Aggregate.Created):
        minute: int
        shard: int | None = None

    @staticmethod
    def create_id(minute: int, shard: int | None = None) -> UUID:
        """`shard` None: the minute's one aggregate as written before shards."""
        return uuid5(NAMESPACE, str(minute) if shard is None else f"{minute}/{shard}")

    @staticmethod
    def shard_of(partition: int | None) -> int:
        return WATCHER if partition is None else partition % SHARDS

    @staticmethod
    def ids_of(minute: int) -> list[UUID]:
        """Every aggregate of the minute, the one written before shards first."""
        return [Deadlines.create_id(minute), *(Deadlines.create_id(minute, shard) for shard in range(WATCHER + 1))]

    def __init__(self, minute: int, shard: int | None = None):
        self.minute = minute
        self.shard = shard
        self.scheduled = 0

    @event("Scheduled")
    def schedule(self, timers: list[dict[str, Any]]) -> None:
        """Each names its case, which is woken once the minute has passed."""
        self.scheduled += len(timers)

    @staticmethod
    def cancelled(case_id: UUID) -> dict[str, str]:
        """What cancels a case's wake-up in the minute: the case has ended, it has no timers."""
        return {"case_id": str(case_id), "kind": CANCELLED}

    @staticmethod
    def is_cancellation(entry: dict[str, Any]) -> bool:
        return entry.get("kind") == CANCELLED

    @staticmethod
    def timers_in(events: Iterable[Any]) -> list[dict[str, Any]]:
        """The wake-ups a minute's stored events scheduled, in order."""
        return [timer for stored in events if isinstance(stored, Deadlines.Scheduled) for timer in stored.timers]

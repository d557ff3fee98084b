"""The deadline index: the timers that fall in one minute, kept as one small aggregate.

A case's timers are written here in the same transaction as the case event that set them,
and the ledger's watcher reads one minute at a time once that minute has passed. Due times
cluster (a task opened at 10:03 with 5 promised days is due at 10:03 five working days
later), so a consumer batch touches few minutes.

At a peak a minute holds tens of thousands of timers, and every batch appends to its minute.
So the aggregate's state is only a count: each batch appends its timers without the minute's
earlier ones being held in memory or copied, and the watcher reads them from the events.
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


class Deadlines(Aggregate):
    class Started(Aggregate.Created):
        minute: int

    @staticmethod
    def create_id(minute: int) -> UUID:
        return uuid5(NAMESPACE, str(minute))

    def __init__(self, minute: int):
        self.minute = minute
        self.scheduled = 0

    @event("Scheduled")
    def schedule(self, timers: list[dict[str, Any]]) -> None:
        """Each timer names its case; it is fired once its minute has passed."""
        self.scheduled += len(timers)

    @staticmethod
    def timers_in(events: Iterable[Any]) -> list[dict[str, Any]]:
        """The timers a minute's stored events scheduled, in order."""
        return [timer for stored in events if isinstance(stored, Deadlines.Scheduled) for timer in stored.timers]

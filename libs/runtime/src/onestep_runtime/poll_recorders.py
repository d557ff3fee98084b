"""The library's process recorders, able to record several positions with one transaction's events.

A Kafka poll hands a consumer records of many partitions (a ledger reads twelve). Applying
them in one transaction needs every partition's position recorded in it; the library's
recorders take one (`tracking=`). These take more (`positions=`), through the recorder's
own hook for what goes into the events' transaction. A projection chooses them with the
library's PROCESS_RECORDER_TOPIC setting (see `BatchProjection.construct_env`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.sqlite import SQLiteProcessRecorder


class SQLitePollRecorder(SQLiteProcessRecorder):
    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        for position in kwargs.get("positions", ()):
            self._insert_tracking(c, position)
        return super()._insert_events(c, stored_events, **kwargs)


class PostgresPollRecorder(PostgresProcessRecorder):
    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        for position in kwargs.get("positions", ()):
            self._insert_tracking(curs, position)
        super()._insert_events(curs, stored_events, **kwargs)


# The recorder for each persistence module onestep runs on.
POLL_RECORDERS = {
    "eventsourcing.sqlite": f"{__name__}:SQLitePollRecorder",
    "eventsourcing.postgres": f"{__name__}:PostgresPollRecorder",
}

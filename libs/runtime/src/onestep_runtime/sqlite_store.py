"""The eventsourcing library's SQLite store, with how hard each commit is pushed to disk chosen.

A SQLite store runs in WAL mode. At the library's level (SQLite's default, FULL) every commit
waits for the write-ahead log to reach the disk: an fsync per transaction, and every batch
a service applies, every follower's position, every view's batch is one. At NORMAL a commit
is in the operating system's hands when it returns: it survives the service being killed, and
a power cut or a crash of the machine may roll back the last transactions (the database
stays whole). A service whose last transactions were rolled back reads their messages again
from its recorded position; a desk decision answered in those moments is gone and is made
again. Kafka acknowledges a record on the same terms (in its replicas' page cache, not on
disk), so NORMAL is onestep's default; `SQLITE_SYNCHRONOUS=FULL` puts every commit on disk
before it returns. PostgreSQL keeps its own settings.

A fresh store starts in SQLite's default journal mode, and the first connection each instance
opens switches it to WAL. Instances that start at once (a service scaled out on one file)
switch it at the same moment, a deadlock SQLite ends by failing one switch at once ("database
is locked", without waiting out the lock timeout); that instance opens its connection again
and finds the store in WAL mode.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory
from eventsourcing.utils import Environment, EnvType

LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")
DEFAULT_LEVEL = "NORMAL"
OPENS = 4  # each failed switch means another instance's switch went through


class SyncedConnectionPool(SQLiteConnectionPool):
    def __init__(self, *, synchronous: str, **options: Any):
        self.synchronous = synchronous
        super().__init__(**options)

    def _create_connection(self) -> SQLiteConnection:
        for attempt in range(1, OPENS + 1):
            try:
                connection = super()._create_connection()
                break
            except sqlite3.OperationalError:
                # the library switches the mode with the connection it opens, and lets SQLite's
                # error through unwrapped; only a switch can fail here
                if attempt == OPENS or self.is_journal_mode_wal:
                    raise
        connection._sqlite_conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return connection


class SQLiteStoreFactory(SQLiteFactory):
    """What onestep's services open a SQLite store with (`PERSISTENCE_MODULE=eventsourcing.sqlite`
    is taken to mean this)."""

    SQLITE_SYNCHRONOUS = "SQLITE_SYNCHRONOUS"

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        level = (self.env.get(self.SQLITE_SYNCHRONOUS) or DEFAULT_LEVEL).strip().upper()
        if level not in LEVELS:
            raise OSError(f"SQLITE_SYNCHRONOUS is {level!r}; one of {', '.join(LEVELS)} is expected")
        made = self.datastore.pool  # (it makes connections when asked: none is open yet)
        self.datastore.pool = SyncedConnectionPool(
            synchronous=level, db_name=made.db_name, lock_timeout=made.lock_timeout
        )

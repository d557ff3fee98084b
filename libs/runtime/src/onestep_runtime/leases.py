"""Which instance of a service follows its shared log under a name (the relay, a view).

Instances of a service scaled out share one store, and so one notification log. Without a
lease each would follow all of it: every event published once per instance, every view
written by each in turn, every task handed to a department's system by each. A lease
lets one instance at a time follow under a name; the others stand by and take over when
it stops or dies, from the position it recorded.

The lease is the store's own: on SQLite (one machine) a lock on a file beside the database,
on PostgreSQL a session advisory lock on a connection of its own. Both end with the process
that holds them, so a crashed instance's lease is free at once. They are there for economy,
not for safety: two instances that follow at once for a moment (a PostgreSQL connection
lost and the lock taken by another before this one notices) hand over a batch twice, and
receivers drop repeats by event id, as after any restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from typing import Any, Protocol

import psycopg
from eventsourcing.application import Application
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

log = logging.getLogger(__name__)


class Lease(Protocol):
    def hold(self) -> bool:
        """Takes the lease or keeps it; False while another instance holds it."""

    def release(self) -> None: ...


class SoleLease:
    """A store only this process can open (in memory): always held."""

    def hold(self) -> bool:
        return True

    def release(self) -> None:
        pass


class FileLease:
    """An exclusive lock on a file (flock): held until released or the process ends."""

    def __init__(self, path: str):
        self.path = path
        self._fd: int | None = None

    def hold(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file ends its lock
            self._fd = None


class AdvisoryLease:
    """A PostgreSQL session advisory lock, on a connection kept for it: held until released,
    or the connection (or the process) ends. Holding it asks the connection it is still there."""

    def __init__(self, connect: dict[str, Any], key: str):
        self._connect = connect
        self._key = key
        self._connection: psycopg.Connection | None = None

    def hold(self) -> bool:
        if self._connection is not None:
            try:
                self._connection.execute("SELECT 1")
                return True
            except psycopg.Error as exc:
                log.warning("lease %s lost with its connection: %r", self._key, exc)
                self.release()
        connection = psycopg.connect(**self._connect, autocommit=True)
        held = connection.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [self._key]).fetchone()
        if not (held and held[0]):
            connection.close()
            return False
        self._connection = connection
        return True

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                self._connection.close()  # the session's advisory locks end with it
            self._connection = None


def lease_for(app: Application, name: str) -> Lease:
    """The lease on following `app`'s log under `name`, in the store the application uses."""
    datastore = getattr(app.recorder, "datastore", None)
    if isinstance(datastore, PostgresDatastore):
        connect = {key: value for key, value in datastore.pool.kwargs.items() if key != "row_factory"}
        return AdvisoryLease(connect, f"onestep:{datastore.schema}:{app.name}:{name}")
    if isinstance(datastore, SQLiteDatastore) and not datastore.pool.is_sqlite_memory_mode:
        return FileLease(f"{datastore.pool.db_name}.{app.name}.{name}.lease")
    return SoleLease()

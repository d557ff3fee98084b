"""Which instance of a service follows its shared log under a name (the relay, a view).

Instances of a service scaled out share one store, and so one notification log. Without a
lease each would follow all of it: every event published once per instance, every view
written by each in turn, every task handed to a department's system by each. A lease
lets one instance at a time follow under a name; the others stand by and take over when
it stops or dies, from the position it recorded.

The lease is the store's own: on SQLite (one machine) a lock on a file beside the database,
on PostgreSQL an advisory lock in one session of the process's own for the store. Both end with the process
that holds them, so a crashed instance's lease is free at once. They are there for economy,
not for safety: two instances that follow at once for a moment (a PostgreSQL connection
lost and the lock taken by another before this one notices) hand over a batch twice, and
receivers drop repeats by event id, as after any restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Awaitable, Callable
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


class AdvisorySession:
    """The one PostgreSQL session a process holds its advisory leases in, for a store: a
    connection each would cost the server a backend per follower per instance (four for a
    gateway). A session that ends ends every lock it held; the next statement opens another."""

    def __init__(self, connect: dict[str, Any]):
        self._connect = connect
        self._connection: psycopg.Connection | None = None
        self._opened = 0  # sessions opened so far: a lock taken in an earlier one is gone
        self._lock = threading.Lock()  # leases are asked from threads of their own

    def fetch(self, statement: str, params: list[Any] = ()) -> tuple[Any, int]:
        """The statement's first value, and the session it ran in."""
        with self._lock:
            if self._connection is None:
                self._connection = psycopg.connect(**self._connect, autocommit=True)
                self._opened += 1
            try:
                row = self._connection.execute(statement, params).fetchone()
            except psycopg.Error:
                with contextlib.suppress(psycopg.Error):
                    self._connection.close()
                self._connection = None
                raise
            return (row[0] if row else None), self._opened


class AdvisoryLease:
    """A PostgreSQL advisory lock in the process's session for the store: held until released,
    or the session (or the process) ends. Holding it asks the session it is still there."""

    def __init__(self, session: AdvisorySession, key: str):
        self._session = session
        self._key = key
        self._held_in: int | None = None  # the session it was taken in

    def hold(self) -> bool:
        if self._held_in is not None:
            try:
                _, session = self._session.fetch("SELECT 1")
            except psycopg.Error as exc:
                log.warning("lease %s lost with its session: %r", self._key, exc)
                session = None
            if session == self._held_in:
                return True
            self._held_in = None
        taken, session = self._session.fetch("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [self._key])
        self._held_in = session if taken else None
        return bool(taken)

    def release(self) -> None:
        if self._held_in is not None:
            with contextlib.suppress(psycopg.Error):  # a session that ended took the lock with it
                self._session.fetch("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [self._key])
            self._held_in = None


async def while_held(
    lease: Lease,
    work: Callable[[], Awaitable[Any]],
    *,
    every_s: float,
    stopping: asyncio.Event,
    failed: Callable[[Exception], None],
) -> None:
    """Does `work` every `every_s` while this instance holds the lease, until `stopping` is set,
    and then lets the lease go. A failure (the store, a peer) is reported and tried next time."""
    try:
        while not stopping.is_set():
            try:
                if await asyncio.to_thread(lease.hold):
                    await work()
            except Exception as exc:
                failed(exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=every_s)
    finally:
        lease.release()


def lease_for(app: Application, name: str) -> Lease:
    """The lease on following `app`'s log under `name`, in the store the application uses."""
    datastore = getattr(app.recorder, "datastore", None)
    if isinstance(datastore, PostgresDatastore):
        return AdvisoryLease(_session_of(app, datastore), f"onestep:{datastore.schema}:{app.name}:{name}")
    if isinstance(datastore, SQLiteDatastore) and not datastore.pool.is_sqlite_memory_mode:
        return FileLease(f"{datastore.pool.db_name}.{app.name}.{name}.lease")
    return SoleLease()


def _session_of(app: Application, datastore: PostgresDatastore) -> AdvisorySession:
    """The one shared by the application's leases."""
    with _SESSIONS_LOCK:
        session = getattr(app, "_onestep_lease_session", None)
        if session is None:
            connect = {key: value for key, value in datastore.pool.kwargs.items() if key != "row_factory"}
            session = app._onestep_lease_session = AdvisorySession(connect)  # type: ignore[attr-defined]
        return session


_SESSIONS_LOCK = threading.Lock()

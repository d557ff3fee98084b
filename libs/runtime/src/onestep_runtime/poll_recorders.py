"""The library's process recorders, able to record several positions with one transaction's
events, and to tell which of a poll's aggregates are stored with one query.

A Kafka poll hands a consumer records of many partitions (a ledger reads twelve). Applying
them in one transaction needs every partition's position recorded in it; the library's
recorders take one (`tracking=`). These take more (`positions=`), through the recorder's
own hook for what goes into the events' transaction. A projection chooses them with the
library's PROCESS_RECORDER_TOPIC setting (see `BatchProjection.construct_env`).

Most records of a poll start an aggregate (a case, a task): asking the store for each
found nothing, one query at a time. `stored_among` asks once for the whole poll. An
aggregate's first event has version 1 (the library's `INITIAL_VERSION`), so the query reads
one index entry per aggregate however many events it has.

On PostgreSQL a batch's events go to the server as one array per column, in binary (see
`PostgresPollRecorder._insert_stored_events`), and its positions as one statement sent with
them (`PostgresPollRecorder.insert_events`).

Instances that start at once on a fresh store (a service scaled out, replicas after a deploy)
each find no tables and make them. The library then records which kind of tracking table
it made, and only the first instance's record is taken (on PostgreSQL, the second's CREATE
TYPE or CREATE TABLE may already collide in the catalogue): the others look again, each time
finding more of the tables made.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    InternalError,
    Notification,
    OperationalError,
    ProgrammingError,
    StoredEvent,
    Tracking,
)
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.sqlite import SQLiteProcessRecorder
from eventsourcing.utils import retry
from psycopg import pq
from psycopg.errors import DuplicateObject, DuplicateTable
from psycopg.sql import SQL, Identifier


class TablesMadeOnce:
    """A recorder whose tables another instance may be making at the same moment.

    Each collision means the other instance committed a step (on PostgreSQL the composite
    type is made in a transaction of its own, before the tables), so a few looks suffice. On a
    store already made, PostgreSQL instances still collide: the library replaces its insert
    function at every start, and two replacements at once fail one of them ("tuple
    concurrently updated", an internal error); every statement is idempotent, so it is run again.
    A table made by the other between this instance's look and its making fails as "already
    exists" (a programming error in the library's terms)."""

    LOOKS = 4

    def create_table(self) -> None:
        for look in range(1, self.LOOKS + 1):
            try:
                return super().create_table()
            except (IntegrityError, InternalError, ProgrammingError) as exc:
                # another instance made them at the same moment (on PostgreSQL a table made
                # between this one's look and its own making is "already exists")
                if look == self.LOOKS or not _a_collision(exc):
                    raise


def _a_collision(exc: Exception) -> bool:
    return not isinstance(exc, ProgrammingError) or isinstance(exc.__cause__, DuplicateTable | DuplicateObject)


class SQLitePollRecorder(TablesMadeOnce, SQLiteProcessRecorder):
    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        for position in kwargs.get("positions", ()):
            self._insert_tracking(c, position)
        return super()._insert_events(c, stored_events, **kwargs)

    def stored_among(self, originator_ids: Collection[UUID]) -> set[UUID]:
        """Which of these aggregates have events stored."""
        ids = [originator_id.hex for originator_id in originator_ids]
        found: set[UUID] = set()
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(ids), 500):  # within SQLite's limit of parameters
                chunk = ids[start : start + 500]
                c.execute(
                    f"SELECT originator_id FROM {self.events_table_name} "
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))}) AND originator_version=1",
                    chunk,
                )
                found.update(UUID(row["originator_id"]) for row in c.fetchall())
        return found

    def select_share(
        self, start: int, stop: int, limit: int, topics: Sequence[str], id_ends: Sequence[str]
    ) -> list[Any]:
        """Up to `limit` notifications from `start` to `stop` of these topics, of the aggregates
        whose id ends in one of the hex digits `id_ends`: a rebuilding process's share of the
        log, chosen by the store rather than read and dropped."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, * FROM {self.events_table_name} WHERE rowid>=? AND rowid<=?"
                f" AND topic IN ({','.join('?' * len(topics))}) AND substr(originator_id, -1) IN"
                f" ({','.join('?' * len(id_ends))}) ORDER BY rowid LIMIT ?",
                [start, stop, *topics, *id_ends, limit],
            )
            return [
                Notification(
                    id=row["rowid"],
                    originator_id=self.convert_originator_id(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in c.fetchall()
            ]

    def notification_ids(self, start: int, limit: int) -> list[int]:
        """The ids of up to `limit` stored events from `start`, without their states."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name} WHERE rowid>=? ORDER BY rowid LIMIT ?", (start, limit)
            )
            return [row[0] for row in c.fetchall()]


# A share's filter is an expression on the ids, whose selectivity the planner guesses at half a
# percent a digit (it is half the log for one of two processes). Expecting a few matches, for a
# page from near the log's start it scanned the whole table in parallel workers and sorted every
# match on disk to keep the first page's worth: 265 ms a page where the ids' index gives the page
# in order in 110 (a 345,000-event log). A rebuild's process already has a core of its own.
# Nor a bitmap of the ids' index: on a log just written, before autovacuum has gathered its
# statistics, the planner took the rest of the log for a couple of thousand rows, read all of it
# for every page (186,000 rows for a page of 10,000 from the middle of a 372,000-event log) and
# sorted it to keep the page: a rebuild right after a burst ran at 15,000-16,000 events/s against
# 25,000 once the log was analyzed. In the index's order the scan stops at the page's end.
SHARE_BY_INDEX = (
    "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),"
    " set_config('max_parallel_workers_per_gather', '0', true)"
)
# A share's page is read from the server in chunks of this many rows (libpq's chunked mode, from
# libpq 17; a row at a time before it): the whole result of a page (10,000 states) held by libpq
# while its rows were made was most of a rebuild process's memory at its peak.
SHARE_CHUNK = 500 if pq.version() >= 170000 else 1


class PostgresPollRecorder(TablesMadeOnce, PostgresProcessRecorder):
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """As the library's, with a transaction's positions recorded by one statement, sent with
        the events: two round trips to the server (the statements, the commit), where the
        library's took one more for each position (it reads each position's answer before going
        on, and a ledger's poll records a dozen)."""
        positions = [*kwargs.get("positions", ()), *filter(None, [kwargs.get("tracking")])]
        names = [position.application_name for position in positions]
        if not positions or len(set(names)) < len(names) or not self.datastore.single_row_tracking:
            return super().insert_events(stored_events, **kwargs)
        return self._insert_with_positions(stored_events, positions)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as the library's
    def _insert_with_positions(
        self, stored_events: Sequence[StoredEvent], positions: list[Tracking]
    ) -> list[int] | None:
        with (
            self.datastore.get_connection() as conn,
            conn.pipeline() as pipeline,
            conn.transaction(),
            conn.cursor() as positions_cursor,
            conn.cursor() as events_cursor,
        ):
            self._check_has_multi_row_tracking_table(positions_cursor)  # (a query, once)
            positions_cursor.execute(
                self._record_positions_statement,
                (
                    [position.application_name for position in positions],
                    [position.notification_id for position in positions],
                ),
                prepare=True,
            )
            if stored_events:
                self._insert_stored_events(events_cursor, stored_events)
            pipeline.sync()
            if positions_cursor.rowcount != len(positions):
                # raised inside the transaction, which is rolled back: the caller finds out
                # which position was recorded already (another instance, or before a restart)
                raise IntegrityError(f"a position of {[str(position) for position in positions]} was recorded")
            if not stored_events:
                return None
            return [row["notification_id"] for row in events_cursor.fetchall()]

    @functools.cached_property
    def _record_positions_statement(self) -> Any:
        # A position goes forward only, as in the library's statement for one: a row whose
        # recorded position is as far already is left alone, and not counted.
        return SQL(
            "INSERT INTO {schema}.{table} (application_name, notification_id)"
            " SELECT * FROM unnest(%s::text[], %s::bigint[])"
            " ON CONFLICT (application_name) DO UPDATE SET notification_id = EXCLUDED.notification_id"
            " WHERE {schema}.{table}.notification_id < EXCLUDED.notification_id"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.tracking_table_name))

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        for position in kwargs.get("positions", ()):  # the library's way, where positions repeat a name
            self._insert_tracking(curs, position)
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        """As the library's, with two differences.

        The events go as one array per column: the library passes an array of composite
        values, which psycopg writes out as text in Python, escaping each state byte by byte
        (a fifth of the ledger's time on PostgreSQL); arrays of plain values go in binary,
        written by psycopg's C dumpers.

        No NOTIFY: the library notifies a channel in every transaction that inserts events,
        for readers that LISTEN (its subscriptions). onestep's followers are woken in their own
        process and poll for what another instance stored, so nobody listens, and a commit that
        has notified queues its notice under a lock every such commit takes in turn."""
        self._lock_table(curs)
        columns = (
            [event.originator_id for event in stored_events],
            [event.originator_version for event in stored_events],
            [event.topic for event in stored_events],
            [event.state for event in stored_events],
        )
        curs.execute(self._insert_columns_statement, columns, prepare=True)

    @functools.cached_property
    def _insert_columns_statement(self) -> Any:
        # the notification ids come back in the order of the arrays, as the library's insert returns them
        return SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state)"
            " SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[])"
            " RETURNING notification_id"
        ).format(
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.events_table_name),
            id_type=SQL(self.datastore.originator_id_type),  # "uuid" or "text", checked by the library
        )

    @functools.cached_property
    def _stored_among_statement(self) -> Any:
        return SQL(
            "SELECT originator_id FROM {schema}.{table} WHERE originator_id = ANY(%s) AND originator_version = 1"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))

    @functools.cached_property
    def _notification_ids_statement(self) -> Any:
        return SQL(
            "SELECT notification_id FROM {schema}.{table} WHERE notification_id >= %s ORDER BY notification_id LIMIT %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))

    def notification_ids(self, start: int, limit: int) -> list[int]:
        """The ids of up to `limit` stored events from `start`, without their states."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._notification_ids_statement, (start, limit), prepare=True)
            return [row["notification_id"] for row in curs.fetchall()]

    def select_share(
        self, start: int, stop: int, limit: int, topics: Sequence[str], id_ends: Sequence[str]
    ) -> list[Any]:
        """As `SQLitePollRecorder.select_share`, read along the ids' index (see SHARE_BY_INDEX)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SHARE_BY_INDEX)
            # In binary: as text, the server writes each state out in hex and psycopg reads it
            # back, twice the bytes between them.
            rows = curs.stream(
                self._select_share_statement,
                (start, stop, list(topics), list(id_ends), limit),
                binary=True,
                size=SHARE_CHUNK,
            )
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in rows
            ]

    @functools.cached_property
    def _select_share_statement(self) -> Any:
        return SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {schema}.{table}"
            " WHERE notification_id >= %s AND notification_id <= %s AND topic = ANY(%s)"
            " AND right(originator_id::text, 1) = ANY(%s) ORDER BY notification_id LIMIT %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))

    def stored_among(self, originator_ids: Collection[UUID]) -> set[UUID]:
        """Which of these aggregates have events stored."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._stored_among_statement, [list(originator_ids)], prepare=True)
            return {UUID(str(row["originator_id"])) for row in curs.fetchall()}


# The recorder for each persistence module onestep runs on.
POLL_RECORDERS = {
    "eventsourcing.sqlite": f"{__name__}:SQLitePollRecorder",
    "eventsourcing.postgres": f"{__name__}:PostgresPollRecorder",
}

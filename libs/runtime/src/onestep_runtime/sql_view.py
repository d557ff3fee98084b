"""Read models as SQL tables beside a service's events, kept by following its own log.

A view is an eventsourcing tracking recorder on the application's own database (SQLite file
or PostgreSQL database) with tables of its own: each batch of the log is written with its
position in one transaction, so a restart neither applies an event twice nor skips one.
Statements are written once with `:name` parameters and given to either database.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder

from .poll_recorders import TablesMadeOnce

View = TypeVar("View", bound="SqlView")


class Statements:
    def __init__(self, cursor: Any, named_parameter: str):
        self._cursor = cursor
        self._named_parameter = named_parameter

    def run(self, sql: str, params: dict[str, Any]) -> None:
        self._cursor.execute(self._dialect(sql), params)

    def run_many(self, sql: str, params: list[dict[str, Any]]) -> None:
        self._cursor.executemany(self._dialect(sql), params)

    def rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        self._cursor.execute(self._dialect(sql), params)
        return [dict(row) for row in self._cursor.fetchall()]

    def insert_rows(self, table: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        """Inserts the rows (each a dict with every column) into the table."""
        self.run_many(_insert(table, columns), rows)

    def insert_new_rows(self, table: str, columns: tuple[str, ...], key: str, rows: list[dict[str, Any]]) -> None:
        """Inserts the rows (each a dict with every column) whose `key` the table does not hold."""
        self.run_many(f"{_insert(table, columns)} ON CONFLICT ({key}) DO NOTHING", rows)

    def update_rows(
        self, table: str, changing: tuple[str, ...], key: tuple[str, ...], rows: list[dict[str, Any]]
    ) -> None:
        """Sets the `changing` columns of each row found by its `key` columns (each row a dict with both)."""
        assignments = ", ".join(f"{column} = :{column}" for column in changing)
        where = " AND ".join(f"{column} = :{column}" for column in key)
        self.run_many(f"UPDATE {table} SET {assignments} WHERE {where}", rows)

    def _dialect(self, sql: str) -> str:
        return _in_dialect(sql, self._named_parameter)


class PostgresStatements(Statements):
    """A view's reads and batch updates are planned at every run, for their values and the
    table as it is then. psycopg prepares a statement on its fifth run, and the server then
    keeps one plan for any values once that plan costs no more than planning each run, which
    it judges while a view's tables are new and small: a plan that scans the whole table,
    kept as the table grows (in a 40 s run, 265 scans of the stats view's task rows, 4.4
    million rows read, where the key's index finds each row). Planning costs a fraction of a
    millisecond a statement, and a batch runs a few."""

    def rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        self._cursor.execute(self._dialect(sql), params, prepare=False)
        return [dict(row) for row in self._cursor.fetchall()]

    def insert_rows(self, table: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        """By COPY: one stream of rows, where an INSERT for each row is a statement the server
        binds and executes on its own (a rebuild inserts a row for each case and each task)."""
        with self._cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[column] for column in columns])

    def insert_new_rows(self, table: str, columns: tuple[str, ...], key: str, rows: list[dict[str, Any]]) -> None:
        """As one statement: the rows go as a JSON array read into the table's own row type
        (an INSERT a row was a statement each; a gateway's desk inserts a row for each task)."""
        names = ", ".join(columns)
        self._cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM json_populate_recordset(NULL::{table}, %s::json)"
            f" ON CONFLICT ({key}) DO NOTHING",
            [_json_rows(rows, columns)],
        )

    def update_rows(
        self, table: str, changing: tuple[str, ...], key: tuple[str, ...], rows: list[dict[str, Any]]
    ) -> None:
        """As one statement, the rows read from a JSON array as `insert_new_rows` reads them."""
        assignments = ", ".join(f"{column} = r.{column}" for column in changing)
        where = " AND ".join(f"t.{column} = r.{column}" for column in key)
        self._cursor.execute(
            f"UPDATE {table} AS t SET {assignments}"
            f" FROM json_populate_recordset(NULL::{table}, %s::json) AS r WHERE {where}",
            [_json_rows(rows, (*key, *changing))],
            prepare=False,
        )


def _insert(table: str, columns: tuple[str, ...]) -> str:
    values = ", ".join(f":{column}" for column in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"


def _json_rows(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    # orjson: the standard library's encoder took about 6 % of a rebuilding process on PostgreSQL
    return orjson.dumps([{column: row[column] for column in columns} for row in rows]).decode()


_CREATED = re.compile(r"\s*CREATE TABLE IF NOT EXISTS (\w+)")


@functools.lru_cache(maxsize=1024)
def _in_dialect(sql: str, named_parameter: str) -> str:
    """A statement with its `:name` parameters in the database's style (a view's statements
    are few and run for every event: each is rewritten once)."""
    return re.sub(r"(?<!:):([a-z_][a-z0-9_]*)", named_parameter, sql)


class SqlView:
    """A view's tables (`TABLES`: CREATE ... IF NOT EXISTS statements), its batches and reads."""

    TABLES: ClassVar[list[str]] = []
    named_parameter: ClassVar[str] = r":\1"
    statements: ClassVar[type[Statements]] = Statements
    datastore: Any

    def create_table(self) -> None:
        super().create_table()  # the tracking table
        with self.datastore.transaction(commit=True) as cursor:
            for statement in self.TABLES:
                cursor.execute(statement)

    def analyze(self) -> None:
        """Has the database gather statistics on the view's tables now, where its planner needs
        them (PostgreSQL, below); SQLite finds a row by its key without."""

    @property
    def table_names(self) -> list[str]:
        return [match[1] for statement in self.TABLES if (match := _CREATED.match(statement))]

    @contextmanager
    def batch(self, tracking: Tracking) -> Iterator[Statements]:
        """A transaction that records `tracking` with whatever the batch wrote."""
        with self.datastore.transaction(commit=True) as cursor:
            yield self.statements(cursor, self.named_parameter)
            self._insert_tracking(cursor, tracking)

    @contextmanager
    def reading(self) -> Iterator[Statements]:
        """Statements that only read (on SQLite in a transaction; see PostgresReads)."""
        with self.datastore.transaction(commit=False) as cursor:
            yield self.statements(cursor, self.named_parameter)

    def read(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self.reading() as statements:
            return statements.rows(sql, params)


class PostgresReads:
    """On PostgreSQL a view reads outside a transaction. psycopg forgets every statement a
    connection has prepared when a transaction on it is rolled back (DEALLOCATE ALL, a round
    trip), and a read-only transaction ends so; the view's connections are the application's
    (its inserts, its followers' reads), so each read cost those statements a PREPARE again,
    another round trip each. A statement reads what was committed when it began; the reads of
    one of the view's batches are of rows only that batch's follower writes."""

    @contextmanager
    def reading(self) -> Iterator[Statements]:
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            yield self.statements(cursor, self.named_parameter)


class PostgresAnalyze:
    """A view's tables filled faster than autovacuum looks at them (a rebuild fills hundreds of
    thousands of rows in seconds) have no statistics, and without them the planner takes
    `case_id IN (...)` on a key's leading column to match half the table: a scan of the whole
    table for every hundred cases looked up (in one rebuild, 18.6 of its 30 s of server time).
    `analyze` gathers them."""

    def analyze(self) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"ANALYZE {', '.join(self.table_names)}")


def view_for(app: Application, view: type[View]) -> View:
    """The view on the application's own database; instances starting at once may make its
    tables at the same moment (see poll_recorders)."""
    if isinstance(app.recorder, PostgresTrackingRecorder):
        bases: tuple[type, ...] = (TablesMadeOnce, PostgresReads, PostgresAnalyze, view, PostgresTrackingRecorder)
        recorder = type(
            f"Postgres{view.__name__}", bases, {"named_parameter": r"%(\1)s", "statements": PostgresStatements}
        )
    else:
        recorder = type(f"SQLite{view.__name__}", (TablesMadeOnce, view, SQLiteTrackingRecorder), {})
    made = app.factory.tracking_recorder(recorder)
    made.app = app  # the application closes its store when it goes: it lives as long as its view
    return made

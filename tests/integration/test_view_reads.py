"""A view's reads on PostgreSQL leave the statements its connection has prepared in place: a
read-only transaction ends by a rollback, after which psycopg deallocates every prepared
statement of the connection, and the view shares its connections with the application."""

from __future__ import annotations

import uuid

from onestep_gateway.adapters.desk_view import DeskTables
from onestep_gateway.application import DepartmentTasks
from onestep_runtime.sql_view import view_for


def test_a_view_read_keeps_what_the_connection_prepared(postgres):
    name = f"reads_{uuid.uuid4().hex[:10]}"
    postgres.create_database(name)
    # One connection in the pool: the application's statements and the view's reads share it.
    env = {**postgres.eventsourcing_env(name), "POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "0"}
    tasks = DepartmentTasks(env=env, department="fire-rescue")
    try:
        view = view_for(tasks, DeskTables)
        tasks.recorder.notification_ids(1, 10)  # a statement the recorder prepares

        assert view.read("SELECT COUNT(*) AS n FROM desk_tasks", {}) == [{"n": 0}]

        assert view.read("SELECT COUNT(*) AS n FROM pg_prepared_statements", {})[0]["n"] >= 1
    finally:
        tasks.close()

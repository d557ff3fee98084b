"""A PostgreSQL store records a batch without NOTIFYing its channel: onestep's followers are
woken in their own process and poll for another instance's events, so nobody listens, and a
notifying commit queues its notice under a lock all of them take in turn."""

from __future__ import annotations

import uuid

import psycopg

from onestep_gateway.application import DepartmentTasks

from ..scenarios import submitted_envelope


def test_a_batch_is_recorded_without_a_notice_on_the_stores_channel(postgres):
    name = f"notify_{uuid.uuid4().hex[:10]}"
    postgres.create_database(name)
    env = postgres.eventsourcing_env(name)
    tasks = DepartmentTasks(env=env, department="fire-rescue")
    channel = tasks.recorder.channel_name
    dsn = (
        f"host={env['POSTGRES_HOST']} port={env['POSTGRES_PORT']} dbname={name}"
        f" user={env['POSTGRES_USER']} password={env['POSTGRES_PASSWORD']}"
    )
    with psycopg.connect(dsn, autocommit=True) as listening:
        listening.execute(f'LISTEN "{channel}"')
        listening.execute(f'NOTIFY "{channel}"')  # the listener hears the channel: this one it must hear
        assert tasks.apply_batch("applications", 0, [submitted_envelope(uuid.uuid4(), ["fire-rescue"])], 0)
        assert tasks.recorder.max_notification_id() == 1  # recorded
        heard = list(listening.notifies(timeout=1.0))
    assert [notice.channel for notice in heard] == [channel]  # its own, not the batch's

"""Instances of a service share a store, and one at a time follows its log under a name (the
relay, the dispatcher, a view): each event is handed over once, not once per instance. When
the instance that follows stops, another takes over from the position it recorded. On SQLite
and on PostgreSQL, each with the store's own lease."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid

import psycopg

from onestep_gateway.application import DepartmentTasks
from onestep_runtime.follower import NotificationFollower
from onestep_runtime.leases import AdvisoryLease, AdvisorySession, FileLease

from ..scenarios import submitted_envelope

DEPARTMENT = "market-regulation"


class Instance:
    """One instance of a gateway: its application on the shared store, and a relay that
    remembers what it handed over."""

    def __init__(self, store_env: dict[str, str]):
        self.app = DepartmentTasks(env=store_env, department=DEPARTMENT)
        self.handed_over: list[uuid.UUID] = []
        self.relay = NotificationFollower(self.app, name="relay", handle=self._hand_over, idle_wait_s=0.05)
        self.running: asyncio.Task | None = None

    async def _hand_over(self, events) -> None:
        self.handed_over.extend(event.originator_id for event in events)

    def start(self) -> None:
        self.running = asyncio.create_task(self.relay.run())

    async def stop(self) -> None:
        self.relay.stop()
        await self.running


def receive(instance: Instance, partition: int, offset: int, count: int) -> list[uuid.UUID]:
    """`count` new tasks applied by this instance; the ids of the tasks."""
    envelopes = [submitted_envelope(uuid.uuid4(), [DEPARTMENT]) for _ in range(count)]
    assert instance.app.apply_batch("applications", partition, envelopes, offset)
    return [event.originator_id for event in instance.app.recorder.select_notifications(1, 10_000)][-count:]


async def eventually(condition, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


async def test_two_instances_hand_each_event_over_once_and_the_other_takes_over(store_env):
    first, second = Instance(store_env), Instance(store_env)
    first.start()
    await eventually(lambda: first.relay.leading)
    second.start()
    written = receive(first, 0, 0, 5) + receive(second, 1, 0, 5)
    await eventually(lambda: len(first.handed_over) == 10)
    await asyncio.sleep(1.5)  # the standby asks for the lease meanwhile, and is refused
    assert sorted(first.handed_over) == sorted(written) and second.handed_over == []
    assert not second.relay.leading

    await first.stop()
    later = receive(second, 1, 1, 5)
    await eventually(lambda: len(second.handed_over) == 5)
    assert sorted(second.handed_over) == sorted(later)  # from where the first left off, nothing twice
    await second.stop()


def test_a_file_lease_ends_with_the_process_that_held_it(tmp_path):
    """An instance that crashes (killed, not stopped) leaves its lease free for another."""
    path = str(tmp_path / "ledger.sqlite.relay.lease")
    holding = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import time; from onestep_runtime.leases import FileLease; assert FileLease({path!r}).hold(); "
            "print('held', flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holding.stdout.readline().strip() == "held"
        assert not FileLease(path).hold()
    finally:
        holding.kill()
        holding.wait()
    assert FileLease(path).hold()


def test_an_advisory_lease_whose_session_the_database_ended_goes_to_another_instance(postgres):
    """A failover or an operator's pg_terminate_backend ends the holder's session: another
    instance takes the lease, and the first, asking again, finds it is not its own now."""
    name = f"lease_{uuid.uuid4().hex[:10]}"
    postgres.create_database(name)
    env = postgres.eventsourcing_env(name)
    connect = {
        "dbname": name,
        "host": env["POSTGRES_HOST"],
        "port": env["POSTGRES_PORT"],
        "user": env["POSTGRES_USER"],
        "password": env["POSTGRES_PASSWORD"],
    }
    # Two instances: a session each.
    first, second = (AdvisoryLease(AdvisorySession(connect), "onestep:relay") for _ in range(2))
    assert first.hold() and not second.hold()
    with psycopg.connect(**connect, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchall()
    assert ended == [(True,)]
    deadline = time.monotonic() + 10  # the ended session's backend exits a moment later
    while not second.hold():
        assert time.monotonic() < deadline, "the lease was not freed with the session"
        time.sleep(0.05)
    assert not first.hold()
    second.release()
    assert first.hold()
    first.release()

"""A follower is woken whenever its service stores something (each poll of its consumer).
That wake is for an instance following the log; one standing by for another instance's lease,
or backing off from a failing peer, keeps to its own time: woken at every poll, a standing-by
ledger used to ask for its lease in a loop (the second of two ledgers spent 4 ms of CPU a case
on it), and a failing relay retried at every poll instead of backing off."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

from onestep_gateway.application import DepartmentTasks
from onestep_runtime import follower as follower_module
from onestep_runtime.follower import NotificationFollower
from onestep_runtime.leases import Lease, lease_for

from ..scenarios import submitted_envelope

DEPARTMENT = "market-regulation"
WAKES = 50


class CountingLease(Lease):
    """The store's own lease, counting how often it is asked for."""

    def __init__(self, lease: Lease):
        self._lease = lease
        self.asked = 0

    def hold(self) -> bool:
        self.asked += 1
        return self._lease.hold()

    def release(self) -> None:
        self._lease.release()


async def eventually(condition, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.02)


async def wake_often(follower: NotificationFollower) -> None:
    for _ in range(WAKES):
        follower.wake()
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def running(follower: NotificationFollower):
    task = asyncio.create_task(follower.run())
    try:
        yield
    finally:
        follower.stop()
        await asyncio.wait_for(task, timeout=10)  # a stop ends any wait at once


async def handed_over(events) -> None:
    pass


class Batches:
    """A follower's handler that keeps the size of each batch it is handed."""

    def __init__(self):
        self.sizes: list[int] = []

    async def __call__(self, events) -> None:
        self.sizes.append(len(events))


async def test_an_instance_standing_by_asks_for_the_lease_on_its_own_time_not_at_every_wake(store_env, monkeypatch):
    monkeypatch.setattr(follower_module, "STAND_BY_S", 60.0)
    leading_app, standing_by_app = (DepartmentTasks(env=store_env, department=DEPARTMENT) for _ in range(2))
    leading = NotificationFollower(leading_app, name="relay", handle=handed_over, idle_wait_s=0.05)
    lease = CountingLease(lease_for(standing_by_app, "relay"))
    standing_by = NotificationFollower(standing_by_app, name="relay", handle=handed_over, lease=lease)
    async with running(leading):
        await eventually(lambda: leading.leading)
        async with running(standing_by):
            await eventually(lambda: lease.asked)

            await wake_often(standing_by)

            assert (lease.asked, standing_by.leading) == (1, False)


async def test_a_follower_whose_peer_fails_backs_off_however_often_it_is_woken(store_env):
    app = DepartmentTasks(env=store_env, department=DEPARTMENT)
    assert app.apply_batch("applications", 0, [submitted_envelope(uuid.uuid4(), [DEPARTMENT])], 0)
    attempts = []

    async def broker_away(events) -> None:
        attempts.append(len(events))
        raise ConnectionError("the broker is away")

    relay = NotificationFollower(app, name="relay", handle=broker_away, retry_delay_s=60.0)
    async with running(relay):
        await eventually(lambda: attempts)

        await wake_often(relay)

        assert attempts == [1]


async def test_a_follower_reads_the_store_only_for_what_this_process_did_not_record_and_not_again_at_once(
    store_env, monkeypatch
):
    """The first batch was recorded before the follower came (as by an instance before a
    restart), the second while it follows: only the first is read from the store, and neither
    is followed by another read at once."""
    app = DepartmentTasks(env=store_env, department=DEPARTMENT)
    assert app.apply_batch("applications", 0, [submitted_envelope(uuid.uuid4(), [DEPARTMENT])], 0)
    reads = []
    read_ids = app.recorder.notification_ids

    def counted(start: int, limit: int) -> list[int]:
        reads.append(start)
        return read_ids(start, limit)

    monkeypatch.setattr(app.recorder, "notification_ids", counted)
    handed = Batches()
    relay = NotificationFollower(app, name="relay", handle=handed, idle_wait_s=60.0)
    async with running(relay):
        await eventually(lambda: relay.position)
        await asyncio.sleep(0.3)  # time enough for a read straight after the batch
        assert (handed.sizes, len(reads)) == ([1], 1)

        assert app.apply_batch("applications", 0, [submitted_envelope(uuid.uuid4(), [DEPARTMENT])], 1)
        relay.wake()
        await eventually(lambda: len(handed.sizes) == 2)

        assert handed.sizes == [1, 1]
        await asyncio.sleep(0.3)
        assert len(reads) == 1


class CountingWakes:
    """Stands for a follower: counts the wakes its consumer gives it."""

    def __init__(self):
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


async def test_only_a_poll_that_stored_events_wakes_the_followers(store_env):
    """A gateway's polls are often only case events it passes over, or applications of other
    departments: woken by those, each follower looked in its store for nothing."""
    from aiokafka import AIOKafkaProducer, TopicPartition
    from aiokafka.structs import ConsumerRecord

    from onestep_runtime.consumer import Batch, Delivery
    from onestep_runtime.kafka import RenewingProducer
    from onestep_runtime.projection_consumer import projection_consumer

    app = DepartmentTasks(env=store_env, department=DEPARTMENT)
    follower = CountingWakes()
    consumer = projection_consumer(
        app,
        bootstrap_servers="127.0.0.1:9",  # never connected: the poll is handed over directly
        group_id="gateway",
        topics=["applications"],
        service="gateway",
        producer=RenewingProducer(lambda: AIOKafkaProducer(bootstrap_servers="127.0.0.1:9")),
        followers=[follower],
        max_records=10,
    )
    partition = TopicPartition("applications", 0)

    def poll(offset: int, departments: list[str]) -> dict:
        envelope = submitted_envelope(uuid.uuid4(), departments)
        record = ConsumerRecord("applications", 0, offset, 0, 0, None, None, None, 0, 0, [])
        return {partition: Batch([Delivery(record, envelope)], offset)}

    await consumer._handle_batches(poll(0, ["fire-rescue"]))  # another department's application
    assert (follower.wakes, app.recorder.max_notification_id()) == (0, None)

    await consumer._handle_batches(poll(1, [DEPARTMENT]))
    assert follower.wakes == 1 and app.recorder.max_notification_id()


async def test_a_follower_waited_for_is_woken_for_what_was_stored_with_no_wake(store_env):
    """notify's dispatcher records the outcomes of what it hands over, and nothing wakes it or
    the parked view for them: notify's consumer, waiting for both under a burst, waited out
    their idle waits, a poll at a time."""
    app = DepartmentTasks(env=store_env, department=DEPARTMENT)
    handed = Batches()
    dispatcher = NotificationFollower(app, name="dispatch", handle=handed, idle_wait_s=3600.0)
    async with running(dispatcher):
        await eventually(lambda: dispatcher.leading)
        await asyncio.sleep(0.3)  # time enough to find the log empty and wait
        envelope = submitted_envelope(uuid.uuid4(), [DEPARTMENT])
        assert await asyncio.to_thread(app.apply_batch, "applications", 0, [envelope], 0)  # no wake
        assert dispatcher.behind == 1

        assert await dispatcher.caught_up(0, timeout_s=30.0)

        assert handed.sizes == [1]

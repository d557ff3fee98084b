"""A follower records its position at most once a second while it is busy (a record per
batch was a transaction and a thread hop for every poll of its service's consumer), as soon
as it is idle, and when it stops: a restart hands over again at most the last second's
batches, which the receivers drop by event id."""

from __future__ import annotations

import asyncio
import uuid

from onestep_gateway.application import DepartmentTasks
from onestep_runtime import follower as follower_module
from onestep_runtime.follower import NotificationFollower

from ..scenarios import submitted_envelope
from .test_follower_waits import DEPARTMENT, eventually, running


def receive_a_task(app: DepartmentTasks, offset: int) -> int:
    """A task received from the application at `offset`; the log's last notification id."""
    assert app.apply_batch("applications", 0, [submitted_envelope(uuid.uuid4(), [DEPARTMENT])], offset)
    return app.recorder.max_notification_id()


async def test_a_busy_follower_records_its_position_at_most_once_a_second_and_when_it_stops(store_env, monkeypatch):
    monkeypatch.setattr(follower_module, "RECORD_EVERY_S", 60.0)
    app = DepartmentTasks(env=store_env, department=DEPARTMENT)
    first = receive_a_task(app, 0)
    handed = []

    async def hand_over(events) -> None:
        handed.extend(events)

    relay = NotificationFollower(app, name="relay", handle=hand_over, idle_wait_s=60.0)
    async with running(relay):
        # The first batch is recorded at once (none was before), in a thread after the position
        # moves on: waited for, not read beside it.
        await eventually(lambda: app.recorder.max_tracking_id("relay") == first)
        assert relay.position == first

        last = max(receive_a_task(app, offset) for offset in (1, 2))
        relay.wake()
        await eventually(lambda: relay.position == last)

        assert len(handed) == 3
        assert app.recorder.max_tracking_id("relay") == first

    assert app.recorder.max_tracking_id("relay") == last


async def test_an_idle_follower_records_what_it_handed_over(store_env, monkeypatch):
    monkeypatch.setattr(follower_module, "RECORD_EVERY_S", 60.0)
    app = DepartmentTasks(env=store_env, department=DEPARTMENT)
    first = receive_a_task(app, 0)

    async def hand_over(events) -> None:
        await asyncio.sleep(0)

    relay = NotificationFollower(app, name="relay", handle=hand_over, idle_wait_s=0.1)
    async with running(relay):
        await eventually(lambda: app.recorder.max_tracking_id("relay") == first)
        last = receive_a_task(app, 1)
        relay.wake()

        await eventually(lambda: app.recorder.max_tracking_id("relay") == last)
        assert relay.position == last

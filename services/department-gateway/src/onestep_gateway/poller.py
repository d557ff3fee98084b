"""For a department whose system cannot call back: asks its status URL, every
GATEWAY_HTTP_POLL_INTERVAL_S, about each task handed to it and still open, and records the
decisions it finds (they are then published like any other)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from .adapters.http import HttpAdapter
from .application import DepartmentTasks
from .desk_projection import DeskProjection

log = logging.getLogger(__name__)


class Poller:
    def __init__(
        self, app: DepartmentTasks, adapter: HttpAdapter, desk: DeskProjection, *, on_decided: Callable[[], None]
    ):
        self._app = app
        self._adapter = adapter
        self._desk = desk
        self._on_decided = on_decided
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.poll_once()
            except Exception as exc:  # the department's system is down: ask again next time
                log.warning("polling %s failed: %r", self._adapter.settings.status_url, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._adapter.settings.poll_interval_s)

    async def poll_once(self) -> int:
        """Returns how many decisions were recorded."""
        open_tasks = await asyncio.to_thread(self._desk.tasks, status="pending", region=None, limit=500)
        decisions = await asyncio.gather(
            *(self._adapter.poll(task["task_id"], self._app.department) for task in open_tasks)
        )
        recorded = 0
        for task_row, decision in zip(open_tasks, decisions, strict=True):
            if decision is None:
                continue
            task = await asyncio.to_thread(self._app.repository.get, UUID(task_row["task_id"]))
            if task.decide(decision.model_dump(mode="json")) is None:
                with contextlib.suppress(IntegrityError):  # decided meanwhile: asked again next time
                    await asyncio.to_thread(self._app.save, task)
                    recorded += 1
        if recorded:
            self._on_decided()
        return recorded

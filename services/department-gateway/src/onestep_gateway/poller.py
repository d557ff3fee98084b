"""Asks the department's status URL, every GATEWAY_HTTP_POLL_INTERVAL_S, about each task
handed to it and still open, and records the decisions it finds (they are then published like
any other). For a department whose system cannot call back this is how decisions arrive; for
one that calls back it finds the decisions whose callbacks were lost (the gateway was down
longer than the department kept retrying). Of a gateway's instances on one store, the one that
holds the poller's lease asks (see leases): the department's system is asked once per task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from prometheus_client import Counter

from onestep_contracts.adapters import DepartmentRefused
from onestep_runtime.leases import Lease, lease_for, while_held

from .adapters.http import HttpAdapter
from .application import DepartmentTasks
from .desk_projection import DeskProjection

log = logging.getLogger(__name__)

PAGE = 500  # tasks read from the desk at a time
CONCURRENT = 20  # status requests in flight at once

UNREADABLE = Counter(
    "onestep_gateway_status_answers_unreadable_total",
    "Answers of the department's status URL that were not a decision (each logged with its task)",
    ["department"],
)


class Poller:
    def __init__(
        self,
        app: DepartmentTasks,
        adapter: HttpAdapter,
        desk: DeskProjection,
        *,
        on_decided: Callable[[], None],
        lease: Lease | None = None,
    ):
        self._app = app
        self._adapter = adapter
        self._desk = desk
        self._on_decided = on_decided
        self._lease = lease or lease_for(app, "poller")
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        every_s = self._adapter.settings.poll_interval_s
        await while_held(self._lease, self.poll_once, every_s=every_s, stopping=self._stopping, failed=self._failed)

    def _failed(self, exc: Exception) -> None:  # the department's system (or the store) is down: ask again next time
        log.warning("polling %s failed: %r", self._adapter.settings.status_url, exc)

    async def poll_once(self) -> int:
        """One walk over every open task, a page at a time; returns how many decisions were
        recorded. A failed request ends the walk (the department's system is down)."""
        recorded, after = 0, ""
        try:
            while not self._stopping.is_set():
                page = await asyncio.to_thread(self._desk.pending_after, after, PAGE)
                recorded += await self._poll(page)
                if len(page) < PAGE:
                    break
                after = page[-1]
        finally:
            if recorded:
                self._on_decided()
        return recorded

    async def _poll(self, task_ids: list[str]) -> int:
        limit = asyncio.Semaphore(CONCURRENT)

        async def ask(task_id: str):
            async with limit:
                try:
                    return await self._adapter.poll(task_id, self._app.department)
                except DepartmentRefused as unreadable:  # this task's answer: asked again next time
                    UNREADABLE.labels(self._app.department).inc()
                    log.warning("the status of task %s: %s", task_id, unreadable)
                    return None

        decisions = await asyncio.gather(*(ask(task_id) for task_id in task_ids))
        recorded = 0
        for task_id, decision in zip(task_ids, decisions, strict=True):
            if decision is None:
                continue
            task = await asyncio.to_thread(self._app.take, UUID(task_id))
            if task is not None and task.decide(decision.model_dump(mode="json")) is None:
                with contextlib.suppress(IntegrityError):  # decided meanwhile: asked again next time
                    await asyncio.to_thread(self._app.save, task)
                    recorded += 1
        return recorded

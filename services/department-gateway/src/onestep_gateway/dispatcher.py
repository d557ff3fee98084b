"""Hands received tasks to the department's adapter, and tells it of cancellations, following
the gateway's own record. A decision the adapter makes at once is recorded with the dispatch.

When the adapter fails (the department's system is down), the batch is tried again with
backoff and the tasks wait, recorded and visible; a task already dispatched is not handed
over twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import IntegrityError
from prometheus_client import Counter, Gauge

from onestep_contracts.adapters import DepartmentAdapter, DepartmentRefused, Task
from onestep_runtime.ops import store_reading

from .application import DepartmentTasks
from .domain.task import DepartmentTask, decided_among

DISPATCHED = Counter(
    "onestep_gateway_tasks_dispatched_total",
    "Tasks the dispatcher handed to the adapter (one that decides at once decides them as they are recorded)",
    ["department"],
)
PARKED = Counter("onestep_gateway_tasks_parked_total", "Tasks the department's system refused", ["department"])
BACKLOG = Gauge(
    "onestep_gateway_dispatch_backlog_events",
    "Recorded events the adapter has not taken yet (tasks wait while the department's system is down)",
    ["department"],
)
PARKED_NOW = Gauge("onestep_gateway_parked_tasks", "Tasks parked now, waiting to be re-driven", ["department"])
CANCELLED = Counter("onestep_gateway_tasks_cancelled_total", "Open tasks cancelled by the case", ["department"])


def gauge_waiting(department: str, parked: Callable[[], int], backlog: Callable[[], int]) -> None:
    """Reports, when /metrics is scraped, the tasks parked now and how many recorded events the
    adapter has not taken yet (tasks waiting while the department's system is down)."""
    PARKED_NOW.labels(department).set_function(store_reading(parked))
    BACKLOG.labels(department).set_function(store_reading(backlog))


class Dispatcher:
    def __init__(self, app: DepartmentTasks, adapter: DepartmentAdapter, *, on_decided: Callable[[], None]):
        self._app = app
        self._adapter = adapter
        self._on_decided = on_decided

    async def handle(self, domain_events: list[Any]) -> None:
        handed = (DepartmentTask.Received, DepartmentTask.Redriven)
        decided = decided_among(domain_events)
        received = list(
            dict.fromkeys(
                e.originator_id for e in domain_events if isinstance(e, handed) and e.originator_id not in decided
            )
        )
        # (no thread hop for a batch with nothing to hand over, as a rules gateway's are)
        tasks = await asyncio.to_thread(lambda: [self._app.take(task_id) for task_id in received]) if received else []
        waiting = [task for task in tasks if task is not None and task.status == "received"]
        answers = await asyncio.gather(
            *(self._adapter.submit(Task(**task.task)) for task in waiting), return_exceptions=True
        )
        # A peer down for some of the tasks: the ones it took are recorded as handed over (so a
        # retry does not hand them over again) and the batch is tried again for the others.
        handed, failures = [], []
        for task, answer in zip(waiting, answers, strict=True):
            if isinstance(answer, BaseException) and not isinstance(answer, DepartmentRefused):
                failures.append(answer)
            else:
                handed.append((task, answer))
        for task, answer in handed:
            self._take_answer(task, answer)
        if handed:
            try:
                await asyncio.to_thread(self._app.save, *(task for task, _ in handed))
            except IntegrityError:  # a task changed meanwhile: each is recorded on its own
                handed = [(await self._record_again(task, answer), answer) for task, answer in handed]
            DISPATCHED.labels(self._app.department).inc(sum(task.status != "parked" for task, _ in handed))
            if any(task.status == "decided" for task, _ in handed):
                self._on_decided()
        if failures:
            raise failures[0]
        for cancelled in domain_events:
            if isinstance(cancelled, DepartmentTask.Cancelled) and cancelled.was_dispatched:
                await self._adapter.cancel(str(cancelled.originator_id), cancelled.reason)
                CANCELLED.labels(self._app.department).inc()

    def _take_answer(self, task: DepartmentTask, answer: Any) -> None:
        if isinstance(answer, DepartmentRefused):
            task.park(str(answer))
            PARKED.labels(self._app.department).inc()
            return
        task.dispatch(self._adapter.name)
        if answer is not None:
            task.decide(answer.model_dump(mode="json"))

    async def _record_again(self, task: DepartmentTask, answer: Any) -> DepartmentTask:
        """Records one handed-over task whose batch could not be saved (the failed save took
        its events): the answer taken again on the task as it is now. The adapter has the task
        either way, so it is never handed over again; if the case ended meanwhile (the task was
        cancelled while the adapter took it), the adapter is told to drop it."""
        now = await asyncio.to_thread(self._app.take, task.id)
        if now is None:
            return task
        if now.status == "received":
            self._take_answer(now, answer)
            await asyncio.to_thread(self._app.save, now)
        elif now.status == "cancelled" and not isinstance(answer, DepartmentRefused):
            await self._adapter.cancel(str(now.id), now.cancel_reason or "")
            CANCELLED.labels(self._app.department).inc()
        return now

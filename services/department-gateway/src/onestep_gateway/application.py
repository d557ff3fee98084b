"""A department's gateway keeps its own record of tasks: each task read from Kafka is recorded
with the Kafka position in one transaction, handed to the adapter from that record, and its
decision published from it (outbox). A task received is never forgotten across restarts, and
a decision made is published once (a re-publication keeps its event id). An adapter that
decides from the task alone (`DecidesAtOnce`, like `rules`) decides it in that transaction."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent

from onestep_contracts import ApplicationSubmitted, Envelope, TaskCancelled, TaskOpened, task_id_for
from onestep_contracts.adapters import DecidesAtOnce, DepartmentAdapter, Task
from onestep_runtime.projection import BatchProjection

from .domain.task import DepartmentTask
from .domain.tasks import serves, task_for


class DepartmentTasks(BatchProjection):
    EVENT_TYPES = frozenset(model.TYPE for model in (ApplicationSubmitted, TaskOpened, TaskCancelled))
    # A task received is handed over next, by the dispatcher, from memory.
    WORKING_SET = 2000

    def __init__(
        self,
        *args: Any,
        department: str,
        regions: list[str] = (),
        adapter: DepartmentAdapter | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.department = department
        self.regions = tuple(regions)
        self._adapter = adapter if isinstance(adapter, DecidesAtOnce) else None

    def aggregate_ids(self, envelope: Envelope) -> list[UUID]:
        """The task the envelope would make or cancel (an application this department has no
        part in names one that is never read)."""
        event = envelope.event
        if isinstance(event, ApplicationSubmitted):
            return [UUID(task_id_for(event.case_id, self.department))]
        if isinstance(event, TaskOpened | TaskCancelled) and event.department == self.department:
            return [UUID(event.task_id)]
        return []

    def apply_envelope(self, envelope: Envelope, processing: ProcessingEvent[UUID]) -> None:
        event = envelope.event
        if isinstance(event, TaskCancelled):
            if event.department == self.department:
                self._cancel(event, processing)
            return
        if not isinstance(event, ApplicationSubmitted | TaskOpened):
            return
        task = task_for(event, self.department)
        if task is None or not serves(self.regions, task["region"]):
            return  # not this department's, or handled by its gateway for another region
        if self.aggregate_in_batch(processing, UUID(task["task_id"])) is not None:
            return  # read before: a repeat, or cancelled before it came
        if self._adapter is None:
            received = DepartmentTask.receive(task)
        else:
            decision = self._adapter.decide_at_once(Task(**task)).model_dump(mode="json")
            received = DepartmentTask.decided_at_once(task, self._adapter.name, decision)
        processing.collect_events(received)

    def _cancel(self, event: TaskCancelled, processing: ProcessingEvent[UUID]) -> None:
        task: DepartmentTask | None = self.aggregate_in_batch(processing, UUID(event.task_id))
        if task is None:
            task = DepartmentTask.cancelled_unseen(event.task_id, str(event.case_id), event.reason)
        else:
            task.cancel(event.reason)
        processing.collect_events(task)

    def task(self, task_id: str) -> DepartmentTask:
        return self.repository.get(UUID(task_id))

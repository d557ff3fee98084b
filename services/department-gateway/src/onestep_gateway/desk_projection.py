"""Keeps the desk's list of tasks from the gateway's own log, and reads it back."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Tracking

from onestep_runtime.sql_view import Statements

from .adapters.desk_view import DeskTables
from .domain.task import DepartmentTask

DESK_NAME = "desk"
STATUS_OF = {
    DepartmentTask.Dispatched: "pending",
    DepartmentTask.Decided: "decided",
    DepartmentTask.Cancelled: "cancelled",
    DepartmentTask.Parked: "parked",
    DepartmentTask.Redriven: "received",
}


RECEIVED = (DepartmentTask.Received, DepartmentTask.DecidedAtOnce)
COLUMNS = ("task_id", "case_id", "item", "region", "round", "due_at", "status", "received_at")


def _row(event: Any) -> dict[str, Any]:
    task = event.task
    return {
        "task_id": str(event.originator_id),
        "case_id": task["case_id"],
        "item": task["item"],
        "region": task["region"],
        "round": task.get("round", 1),
        "due_at": task["due_at"],
        "status": "received" if isinstance(event, DepartmentTask.Received) else "decided",
        "received_at": event.timestamp.isoformat(),
    }


class DeskProjection:
    def __init__(self, view: DeskTables):
        self.view = view

    def apply(self, domain_events: list[Any], last_notification_id: int) -> None:
        """The batch's new tasks are inserted together, then the changes made in order: a task's
        first event is the one that makes it, so none of its changes comes before its row."""
        received = [_row(event) for event in domain_events if isinstance(event, RECEIVED)]
        with self.view.batch(Tracking(DESK_NAME, last_notification_id)) as sql:
            if received:
                sql.insert_new_rows("desk_tasks", COLUMNS, "task_id", received)
            for event in domain_events:
                self._change(sql, event)

    @staticmethod
    def _change(sql: Statements, event: Any) -> None:
        task_id = str(event.originator_id)
        if isinstance(event, DepartmentTask.Claimed):
            sql.run(
                "UPDATE desk_tasks SET claimed_by = :officer WHERE task_id = :task_id",
                {"officer": event.officer, "task_id": task_id},
            )
        elif type(event) in STATUS_OF:
            sql.run(
                "UPDATE desk_tasks SET status = :status WHERE task_id = :task_id",
                {"status": STATUS_OF[type(event)], "task_id": task_id},
            )

    def tasks(
        self, *, status: str, region: str | None, limit: int, after: tuple[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Tasks in a status, soonest due first (then by id), in regions under a code prefix;
        those after `after` (a task's due time and id: where the page before ended)."""
        where = "status = :status" + (" AND region LIKE :region" if region else "")
        if after is not None:
            where += " AND (due_at > :due_at OR (due_at = :due_at AND task_id > :task_id))"
        due_at, task_id = after or (None, None)
        return self.view.read(
            "SELECT task_id, case_id, item, region, round, due_at, status, claimed_by FROM desk_tasks"
            f" WHERE {where} ORDER BY due_at, task_id LIMIT :limit",
            {"status": status, "region": f"{region}%", "limit": limit, "due_at": due_at, "task_id": task_id},
        )

    def pending_after(self, task_id: str, limit: int) -> list[str]:
        """Ids of tasks handed to the department and not decided, in id order after `task_id`:
        a page of a walk over all of them however many there are."""
        rows = self.view.read(
            "SELECT task_id FROM desk_tasks WHERE status = 'pending' AND task_id > :after ORDER BY task_id LIMIT :limit",
            {"after": task_id, "limit": limit},
        )
        return [row["task_id"] for row in rows]

    def count(self, status: str) -> int:
        return self.view.read("SELECT COUNT(*) AS n FROM desk_tasks WHERE status = :status", {"status": status})[0]["n"]

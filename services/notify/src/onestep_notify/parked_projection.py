"""Keeps the list of parked deliveries from notify's own log, and reads it back by portal."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Tracking
from prometheus_client import Gauge

from onestep_runtime.ops import store_reading

from .adapters.parked_view import ParkedTables
from .domain.deliveries import CaseNotifications

PARKED_NAME = "parked"
COLUMNS = ("event_id", "channel", "portal", "case_id", "kind", "reason", "parked_at")
CHANGES = (CaseNotifications.DeliveryParked, CaseNotifications.RedeliveryRequested)
PARKED_NOW = Gauge(
    "onestep_notify_parked_deliveries", "Deliveries parked now, not asked for again (GET /v1/notifications/parked)"
)


class ParkedProjection:
    def __init__(self, view: ParkedTables):
        self.view = view

    def apply(self, domain_events: list[Any], last_notification_id: int) -> None:
        """A delivery's row is as its last change in the batch left it: there when it was
        parked, gone once it is asked for again. Most batches change none (every delivery
        went through): then only the position is written."""
        last_change: dict[tuple[str, str], Any] = {}
        for event in domain_events:
            if isinstance(event, CHANGES):
                last_change[(event.event_id, event.channel)] = event
        with self.view.batch(Tracking(PARKED_NAME, last_notification_id)) as sql:
            if not last_change:
                return
            sql.run_many(
                "DELETE FROM parked_deliveries WHERE event_id = :event_id AND channel = :channel",
                [{"event_id": event_id, "channel": channel} for event_id, channel in last_change],
            )
            parked = [
                _row(event) for event in last_change.values() if isinstance(event, CaseNotifications.DeliveryParked)
            ]
            if parked:
                sql.insert_rows("parked_deliveries", COLUMNS, parked)

    def of_portal(
        self,
        portal: str,
        *,
        limit: int,
        after: tuple[str, str] | None = None,
        event_ids: list[str] | None = None,
        kind: str | None = None,
        parked_before: str | None = None,
    ) -> list[dict[str, Any]]:
        """The portal's parked deliveries, longest parked first (then by event id): those after
        `after` (a row's time and event id: where the page before ended), of `event_ids`, parked
        as `kind`, or before a time."""
        where, params = "portal = :portal", {"portal": portal, "limit": limit}
        if after is not None:
            where += " AND (parked_at > :parked_at OR (parked_at = :parked_at AND event_id > :event_id))"
            params.update(parked_at=after[0], event_id=after[1])
        if kind is not None:
            where += " AND kind = :kind"
            params["kind"] = kind
        if parked_before is not None:
            where += " AND parked_at < :parked_before"
            params["parked_before"] = parked_before
        if event_ids is not None:
            names = {f"id{index}": event_id for index, event_id in enumerate(event_ids)}
            where += f" AND event_id IN ({', '.join(':' + name for name in names) or 'NULL'})"
            params.update(names)
        return self.view.read(
            f"SELECT {', '.join(COLUMNS)} FROM parked_deliveries WHERE {where}"
            " ORDER BY parked_at, event_id LIMIT :limit",
            params,
        )

    def count(self, portal: str | None = None) -> int:
        """The portal's parked deliveries, or every portal's."""
        where = " WHERE portal = :portal" if portal else ""
        [row] = self.view.read(f"SELECT COUNT(*) AS n FROM parked_deliveries{where}", {"portal": portal})
        return row["n"]


def gauge_parked(parked: ParkedProjection) -> None:
    """Reports, when /metrics is scraped, every portal's deliveries parked now."""
    PARKED_NOW.set_function(store_reading(parked.count))


def _row(event: Any) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "channel": event.channel,
        "portal": event.portal,
        "case_id": event.case_id,
        "kind": event.kind,
        "reason": event.reason,
        "parked_at": event.timestamp.isoformat(timespec="microseconds"),
    }

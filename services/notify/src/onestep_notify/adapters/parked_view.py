"""The list of parked deliveries: a row per delivery parked and not asked for again, kept from
notify's own log (see parked_projection), so a portal can find and redeliver what it missed."""

from __future__ import annotations

from eventsourcing.application import Application

from onestep_runtime.sql_view import SqlView, view_for


class ParkedTables(SqlView):
    TABLES = [
        """CREATE TABLE IF NOT EXISTS parked_deliveries (
            event_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            portal TEXT NOT NULL,
            case_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            reason TEXT NOT NULL,
            parked_at TEXT NOT NULL,
            PRIMARY KEY (event_id, channel)
        )""",
        "CREATE INDEX IF NOT EXISTS parked_by_portal ON parked_deliveries (portal, parked_at, event_id)",
    ]


def parked_view(app: Application) -> ParkedTables:
    return view_for(app, ParkedTables)

"""Ledger replay: the case read model (the stats tables) rebuilt from the ledger's store
into a fresh store of the same kind, by `processes` processes, timed from their start."""

from __future__ import annotations

import time
from typing import Any

from eventsourcing.application import Application

from onestep_ledger.replay import open_rebuild, rebuild_in_processes


def measure(ledger_env: dict[str, str], fresh_env: dict[str, str], processes: int) -> dict[str, Any]:
    """`ledger_env`: the stopped ledger's store; `fresh_env`: an empty store for the rebuilt view."""
    source, target = open_rebuild(ledger_env, fresh_env)
    events = _stored_events(source)
    started = time.perf_counter()
    rebuilt = rebuild_in_processes(ledger_env, fresh_env, processes)
    seconds = time.perf_counter() - started
    cases = target.view.read("SELECT COUNT(*) AS n FROM stats_cases", {})[0]["n"]
    return {
        "processes": processes,
        "events": events,
        "folded_events": rebuilt.folded,
        "cases": cases,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds),
        "peak_rss_mb": round(rebuilt.peak_rss_mb, 1),
    }


def _stored_events(app: Application) -> int:
    """The log's length: a rebuild goes through all of it, though the store hands it only the
    events the view folds."""
    with app.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT COUNT(*) AS n FROM {app.recorder.events_table_name}")
        return dict(cursor.fetchone())["n"]

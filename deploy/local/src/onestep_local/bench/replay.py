"""Ledger replay: the case read model (the stats tables) rebuilt from the ledger's store
into a fresh store of the same kind, timed."""

from __future__ import annotations

import time
from typing import Any

from eventsourcing.application import Application

from onestep_ledger.adapters.stats_view import stats_view
from onestep_ledger.bootstrap import open_ledger
from onestep_ledger.replay import rebuild
from onestep_ledger.settings import LedgerSettings
from onestep_ledger.stats_projection import StatsProjection
from onestep_runtime import heap


def measure(ledger_env: dict[str, str], fresh_env: dict[str, str]) -> dict[str, Any]:
    """`ledger_env`: the stopped ledger's store; `fresh_env`: an empty store for the rebuilt view."""
    source = open_ledger(LedgerSettings(), env=ledger_env)
    fresh = open_ledger(LedgerSettings(), env=fresh_env)
    target = StatsProjection(stats_view(fresh), fresh.calendar)
    events = _stored_events(source)
    heap.settle()  # as in a service (what the benchmark holds by now is frozen with it)
    started = time.perf_counter()
    folded = rebuild(source, target)
    seconds = time.perf_counter() - started
    cases = target.view.read("SELECT COUNT(*) AS n FROM stats_cases", {})[0]["n"]
    return {
        "events": events,
        "folded_events": folded,
        "cases": cases,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds),
    }


def _stored_events(app: Application) -> int:
    """The log's length: a rebuild goes through all of it, though the store hands it only the
    events the view folds."""
    with app.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT COUNT(*) AS n FROM {app.recorder.events_table_name}")
        return dict(cursor.fetchone())["n"]

"""Ledger replay: the case read model (the stats tables) rebuilt from the ledger's store
into a fresh store of the same kind, timed."""

from __future__ import annotations

import time
from typing import Any

from onestep_ledger.adapters.stats_view import stats_view
from onestep_ledger.bootstrap import open_ledger
from onestep_ledger.replay import rebuild
from onestep_ledger.settings import LedgerSettings
from onestep_ledger.stats_projection import StatsProjection


def measure(ledger_env: dict[str, str], fresh_env: dict[str, str]) -> dict[str, Any]:
    """`ledger_env`: the stopped ledger's store; `fresh_env`: an empty store for the rebuilt view."""
    source = open_ledger(LedgerSettings(), env=ledger_env)
    fresh = open_ledger(LedgerSettings(), env=fresh_env)
    target = StatsProjection(stats_view(fresh), fresh.calendar)
    started = time.perf_counter()
    events = rebuild(source, target)
    seconds = time.perf_counter() - started
    cases = target.view.read("SELECT COUNT(*) AS n FROM stats_cases", {})[0]["n"]
    return {"events": events, "cases": cases, "seconds": round(seconds, 2), "events_per_s": round(events / seconds)}

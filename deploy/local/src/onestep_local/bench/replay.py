"""Ledger replay: the case read model (the stats tables) rebuilt from the ledger's store
into a fresh store of the same kind, by `processes` processes, timed from their start. Who had
the cores meanwhile is reported beside it: the rebuild's processes, the servers still running
(the broker, PostgreSQL), and the machine's busy cores and the host's steal, so a slow rebuild
tells whether its processes, the database, or the machine took the time."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any

from eventsourcing.application import Application

from onestep_ledger.replay import open_rebuild, rebuild_in_processes

from .machine import HostCpu


def measure(
    ledger_env: dict[str, str],
    fresh_env: dict[str, str],
    processes: int,
    servers: Callable[[], dict[str, float]] = dict,
) -> dict[str, Any]:
    """`ledger_env`: the stopped ledger's store; `fresh_env`: an empty store for the rebuilt view;
    `servers`: the CPU seconds of each server running meanwhile, by name."""
    source, target = open_rebuild(ledger_env, fresh_env)
    events = _stored_events(source)
    servers_before, rebuild_before, host_before = servers(), _children_cpu_s(), HostCpu.now()
    started = time.perf_counter()
    rebuilt = rebuild_in_processes(ledger_env, fresh_env, processes)
    seconds = time.perf_counter() - started
    servers_after, rebuild_after, host = servers(), _children_cpu_s(), HostCpu.now().since(host_before)
    cases = target.view.read("SELECT COUNT(*) AS n FROM stats_cases", {})[0]["n"]
    cores_used = {"rebuild": round((rebuild_after - rebuild_before) / seconds, 3)} | {
        name: round((servers_after[name] - servers_before[name]) / seconds, 3) for name in servers_before
    }
    return {
        "processes": processes,
        "events": events,
        "folded_events": rebuilt.folded,
        "cases": cases,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds),
        "peak_rss_mb": round(rebuilt.peak_rss_mb, 1),
        "cores_used": cores_used,
        "host": host,
    }


def _children_cpu_s() -> float:
    """The CPU of this process's children that have ended and been waited for: the rebuild's
    processes, once their pool is shut down (the services were stopped before it)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _stored_events(app: Application) -> int:
    """The log's length: a rebuild goes through all of it, though the store hands it only the
    events the view folds."""
    with app.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT COUNT(*) AS n FROM {app.recorder.events_table_name}")
        return dict(cursor.fetchone())["n"]

"""A settled heap: what the service built is frozen, the young generation runs less often, and
reference cycles are still collected. Each case runs in a process of its own, as a service does,
so that the test process keeps its own collector as it was."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SETTLED = """
import gc, json, weakref
from onestep_runtime.heap import settle

built = [{"n": n} for n in range(1000)]  # what a service builds before it serves
settle()
report = {"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}

class Node:
    pass

cycle = Node()
cycle.me = cycle
gone = weakref.ref(cycle)
del cycle
kept = [{} for _ in range(3 * gc.get_threshold()[0])]  # enough new objects for the young generation to run
report["cycle_collected"] = gone() is None
print(json.dumps(report))
"""


def settled(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SETTLED], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def test_a_settled_service_freezes_what_it_built_and_still_collects_cycles():
    run = settled(ONESTEP_GC_THRESHOLD="5000")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["threshold"][0] == 5000
    assert report["frozen"] > 1000  # the objects built before, out of the collector's sight
    assert report["cycle_collected"]


def test_the_default_threshold_is_far_above_the_interpreters():
    run = settled()
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["threshold"][0] == 50_000


def test_a_threshold_that_would_stop_collection_is_refused():
    run = settled(ONESTEP_GC_THRESHOLD="0")
    assert run.returncode != 0
    assert "ONESTEP_GC_THRESHOLD" in run.stderr.upper() or "threshold" in run.stderr

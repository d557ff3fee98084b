"""A service yielding the CPU: its nice value, and its autogroup's where it leads a session of
its own (the autogroup is what Linux weighs against the other services' sessions). Run in real
processes: the test's own priority is left as it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPORT = """
import os, pathlib, sys
from onestep_runtime.cpu_priority import yield_cpu
yield_cpu(int(sys.argv[1]))
autogroup = pathlib.Path("/proc/self/autogroup")
print(os.getpriority(os.PRIO_PROCESS, 0))
print(autogroup.read_text().strip() if autogroup.exists() else "")
"""
OWN_AUTOGROUP = Path("/proc/self/autogroup")


def yielded(nice: int, *, own_session: bool) -> tuple[int, str]:
    """The child's nice value and autogroup line after yield_cpu(nice)."""
    done = subprocess.run(
        [sys.executable, "-c", REPORT, str(nice)],
        start_new_session=own_session,
        capture_output=True,
        text=True,
        check=True,
    )
    priority, autogroup = [*done.stdout.splitlines(), ""][:2]
    return int(priority), autogroup


def test_a_session_leader_yields_by_its_nice_value_and_its_autogroup():
    own = os.getpriority(os.PRIO_PROCESS, 0)
    priority, autogroup = yielded(5, own_session=True)
    assert priority == min(own + 5, 19)
    if OWN_AUTOGROUP.exists():  # a kernel built without autogroups has none to weigh
        assert autogroup.endswith("nice 5")


def test_a_process_in_anothers_session_leaves_that_sessions_autogroup_alone():
    before = OWN_AUTOGROUP.read_text() if OWN_AUTOGROUP.exists() else ""
    priority, autogroup = yielded(5, own_session=False)
    assert priority == min(os.getpriority(os.PRIO_PROCESS, 0) + 5, 19)
    assert autogroup == before.strip()  # the test runner's own session, unchanged
    assert (OWN_AUTOGROUP.read_text() if OWN_AUTOGROUP.exists() else "") == before


def test_nothing_changes_on_zero():
    own = os.getpriority(os.PRIO_PROCESS, 0)
    priority, autogroup = yielded(0, own_session=True)
    assert priority == own
    if OWN_AUTOGROUP.exists():
        assert autogroup.endswith("nice 0")

"""How far a service yields the CPU to the services beside it on shared cores.

Linux shares the CPU first between sessions (a session is an autogroup; the local stack starts
each service in a session of its own, as a container runtime gives each container a cgroup of
its own), each with the same weight whatever it has to do, and only then between threads by
their nice values. intake answers a portal once Kafka has the application; the ledger, the
gateways and notify do the case's work behind it. Under a burst intake took as large a share as
the ledger, which needs the most a case: the backlog grew in the ledger, whose working set then
no longer held its cases (each read back from the store costs more), and the burst ended with
the ledger alone at work on two cores. Yielding, intake lets the work behind it keep up; what
waits is in Kafka, answered 202 (docs/performance.md has the measurements).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

AUTOGROUP = Path("/proc/self/autogroup")


def yield_cpu(nice: int) -> None:
    """Raises this process's nice value by `nice` (its threads and processes to come inherit it;
    call it before starting them), and its autogroup's too where it leads a session of its own:
    that weight is what Linux weighs against the other services' sessions. Nothing on 0."""
    if nice <= 0:
        return
    os.nice(nice)
    if os.getsid(0) == os.getpid():
        # Only a session's leader speaks for the whole autogroup; a kernel without autogroups
        # has no such file, and one that has them switched off keeps the value unused.
        with contextlib.suppress(OSError):
            AUTOGROUP.write_text(str(nice))

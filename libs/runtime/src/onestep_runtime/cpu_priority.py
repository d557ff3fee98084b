"""How far each service yields the CPU to the services beside it on shared cores.

Linux shares the CPU first between sessions (a session is an autogroup; the local stack starts
each service in a session of its own, as a container runtime gives each container a cgroup of
its own), each with the same weight whatever it has to do, and only then between threads by
their nice values. So under a burst every service took an equal share, whatever its place in a
case's way to its answer:

- intake answers a portal once Kafka has the application. Taking as large a share as the
  ledger, it let the backlog grow behind it, and the burst ended with the ledger alone at work.
- The ledger is a case's first and last step, and one process (per partition set) whose work
  cannot spread over both cores. With the gateways and notify weighing as much as it, it fell
  behind under a burst (half a core while the others kept up), then worked off its backlog
  alone, on 1.5 busy cores of two, a quarter of the machine idle for the tail of the burst.

So each service yields by its own setting (`*_CPU_NICE`): the ledger not at all, the gateways
and notify by 5 (a third of the ledger's weight), intake by 10 (a third of theirs). What waits
is in Kafka, answered 202, and the work behind it keeps up (docs/performance-history.md has the
measurements). Only raising a nice value needs no privilege, so the order is made by yielding.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from pydantic import Field

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


def cpu_nice_field(default: int, why: str) -> Any:
    """A service's `cpu_nice` setting: how far it yields the CPU, and why by that much."""
    return Field(
        default=default,
        ge=0,
        le=19,
        description=f"how far this service yields the CPU to the services it shares cores with ({why}); "
        "0 competes as an equal",
    )

"""CPU time and resident memory of the benchmark's processes, read from /proc (Linux)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its children that have ended (the broker's JVM
    is the process itself)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime + cutime + cstime) / TICKS


def stopped(pid: int) -> bool:
    """Whether every thread of a process has stopped (or ended): SIGSTOP takes effect on each
    thread as it next leaves the kernel, and until then its CPU time still grows."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return True  # the process has ended and been reaped
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/stat") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            continue  # the thread has ended
        if state not in ("T", "t", "Z", "X"):
            return False
    return True


def children(pid: int) -> list[int]:
    """The processes alive now whose parent is `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError):
            continue
        if parent == pid:
            found.append(int(entry))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process with children: its own, its ended children's (which it waited for), and
    that of the children alive now (PostgreSQL's per-connection processes, intake's workers)."""
    total = cpu_seconds(pid)
    for child in children(pid):
        try:
            with open(f"/proc/{child}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Watched:
    """Processes by name, sampled for resident memory each second while the benchmark runs.
    Those named in `with_workers` (intake running several processes) count the CPU of their
    children too, and their memory is the largest of those processes'. `servers` (PostgreSQL)
    count the CPU of their per-connection processes too, and their memory is not sampled
    (those processes share it)."""

    pids: dict[str, int]
    servers: dict[str, int] = field(default_factory=dict)
    with_workers: frozenset[str] = frozenset()
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def cpu(self) -> dict[str, float]:
        own = {name: cpu_seconds(pid) for name, pid in self.pids.items() if name not in self.with_workers}
        trees = {name: self.pids[name] for name in self.with_workers} | self.servers
        return own | {name: tree_cpu_seconds(pid) for name, pid in trees.items()}

    def start(self) -> Watched:
        threading.Thread(target=self._sample, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            for name, pid in self.pids.items():
                for process in [pid, *children(pid)] if name in self.with_workers else [pid]:
                    try:
                        rss = rss_mb(process)
                    except (FileNotFoundError, ProcessLookupError):
                        continue
                    self.peak_rss_mb[name] = max(self.peak_rss_mb.get(name, 0.0), rss)


def cpu_per_case(before: dict[str, float], after: dict[str, float], cases: int) -> dict[str, float]:
    """CPU milliseconds each process spent per case between two readings."""
    return {name: round(1000 * (after[name] - before[name]) / max(cases, 1), 3) for name in before}


def cores_used(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """The cores each process kept busy between two readings `seconds` apart (1.0: one core)."""
    return {name: round((after[name] - before[name]) / seconds, 3) for name in before}

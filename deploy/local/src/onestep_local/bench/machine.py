"""How fast this machine was while a run measured it.

This machine is a virtual one, and the same code measures up to a third faster or slower from
one hour to the next, and from one minute to the next. Two readings tell a slow hour from
slower code:

- `Gauge`: the rate of one fixed piece of Python work (what onestep's services do most: JSON
  read and written, dicts built) a second of the CPU it took, sampled every second by a thread
  of its own while a phase runs, so under the same load as the phase. A reading taken apart
  from the phase (before it, say) did not tell: it moved by a quarter from one minute to the
  next. Compare runs by their gauges; the work is fixed, so only the machine moves it (and the
  Python build).
- `HostCpu`: the machine's cores as the kernel counts them (`/proc/stat`) over a phase: how many
  were busy, and the share the hypervisor gave to others (`steal`).
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from dataclasses import dataclass

from .load import restaurant

_APPLICATION = json.loads(restaurant())


def _one_unit() -> int:
    """A portal's application written and read back as JSON, and reshaped as a service would."""
    text = json.dumps(_APPLICATION, sort_keys=True, ensure_ascii=False)
    body = json.loads(text)
    materials = {material["code"]: material for material in body["materials"]}
    facts = {key: value for key, value in body["form"].items() if not isinstance(value, dict | list)}
    return len(text) + len(materials) + len(facts)


def gauge(seconds: float) -> float:
    """Units of the fixed work done a second of this thread's CPU, over `seconds` of it."""
    units, started = 0, time.thread_time()
    while (spent := time.thread_time() - started) < seconds:
        for _ in range(50):
            _one_unit()
        units += 50
    return round(units / spent, 1)


class Gauge:
    """Samples `gauge` for `sample_s` of CPU every `every_s` while it runs (a fiftieth of a
    core by default). A thread of its own: the load generator's event loop goes on meanwhile,
    and the thread's own CPU clock leaves out the time it waited for the interpreter."""

    def __init__(self, every_s: float = 1.0, sample_s: float = 0.02):
        self.every_s, self.sample_s = every_s, sample_s
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="machine-gauge", daemon=True)

    def __enter__(self) -> Gauge:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.samples.append(gauge(self.sample_s))

    def summary(self) -> dict[str, float]:
        """The samples' median, and their lowest and highest tenth (within the samples' range:
        the default method extrapolates past it, below zero for a few samples of which one is slow)."""
        if len(self.samples) < 2:
            return {"samples": len(self.samples)}
        tenths = statistics.quantiles(self.samples, n=10, method="inclusive")
        return {
            "samples": len(self.samples),
            "median": round(statistics.median(self.samples), 1),
            "p10": round(tenths[0], 1),
            "p90": round(tenths[-1], 1),
        }


@dataclass(frozen=True)
class HostCpu:
    """The kernel's count of the machine's CPU time, in ticks, since boot."""

    busy: int
    steal: int
    total: int

    @classmethod
    def now(cls) -> HostCpu:
        with open("/proc/stat") as stat:
            # cpu user nice system idle iowait irq softirq steal (guest time is within user)
            user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in stat.readline().split()[1:9])
        return cls(
            busy=user + nice + system + irq + softirq,
            steal=steal,
            total=user + nice + system + idle + iowait + irq + softirq + steal,
        )

    def since(self, before: HostCpu) -> dict[str, float]:
        """Between two readings: the cores busy on average (of `cores`), and the steal's share of
        all the cores' time, in percent."""
        total = max(self.total - before.total, 1)
        cores = os.cpu_count() or 1
        return {
            "cores": cores,
            "busy_cores": round(cores * (self.busy - before.busy) / total, 2),
            "steal_pct": round(100 * (self.steal - before.steal) / total, 1),
        }

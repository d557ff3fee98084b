"""How fast this machine was when a run measured it.

This machine is a virtual one, and the same code measures up to a third faster or slower from
one hour to the next. Two readings tell a slow hour from slower code:

- `gauge`: the rate of one fixed piece of Python work (what onestep's services do most: JSON
  read and written, dicts built, small functions called) on one core, taken while the system is
  not loaded. Compare runs by their gauges; it changes only with the machine (and the Python
  build).
- `HostCpu`: the machine's cores as the kernel counts them (`/proc/stat`) over a phase: how many
  were busy, and the share the hypervisor gave to others (`steal`).
"""

from __future__ import annotations

import json
import os
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


def gauge(seconds: float = 2.0) -> float:
    """Units of the fixed work done a second of this process's CPU, over `seconds` of it."""
    units, started = 0, time.process_time()
    while (spent := time.process_time() - started) < seconds:
        for _ in range(100):
            _one_unit()
        units += 100
    return round(units / spent, 1)


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

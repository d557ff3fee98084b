"""Fires the cases' timers as the clock passes them: reminders, overdue marks, supplement
windows and missed promises, a minute at a time (see CaseLedger.sweep). Of the ledger's
instances on one store, the one that holds the watcher's lease sweeps (see leases)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge

from onestep_runtime.leases import Lease, lease_for, while_held

from .application import CaseLedger

log = logging.getLogger(__name__)

FIRED = Counter("onestep_ledger_timer_events_total", "Case events made by timers (reminders, overdue marks, ...)")
LAG = Gauge("onestep_ledger_deadline_lag_seconds", "How far the last swept minute is behind the clock")


class DeadlineWatcher:
    def __init__(self, app: CaseLedger, *, interval_s: float, on_fired: Callable[[], None], lease: Lease | None = None):
        self._app = app
        self._interval_s = interval_s
        self._on_fired = on_fired
        self._lease = lease or lease_for(app, "deadline-watcher")
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def position(self) -> tuple[datetime, float]:
        """The end of the last swept minute, and how many seconds the clock is past it."""
        swept = await asyncio.to_thread(self._app.swept_until)
        end = datetime.fromtimestamp((swept + 1) * 60, UTC)
        return end, (self._app.clock() - end).total_seconds()

    async def run(self) -> None:
        await while_held(
            self._lease, self._sweep, every_s=self._interval_s, stopping=self._stopping, failed=self._failed
        )

    def _failed(self, exc: Exception) -> None:  # the store is down: the same minutes are swept next time
        log.warning("deadline sweep failed: %r; retrying in %.1fs", exc, self._interval_s)

    async def _sweep(self) -> None:
        made = await asyncio.to_thread(self._app.sweep, self._app.clock())
        if made:
            FIRED.inc(made)
            self._on_fired()  # the relay publishes the new case events now
        LAG.set((await self.position())[1])

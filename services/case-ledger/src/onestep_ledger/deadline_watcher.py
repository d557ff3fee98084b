"""Fires the cases' timers as the clock passes them: reminders, overdue marks, supplement
windows and missed promises, a minute at a time (see CaseLedger.sweep)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from .application import CaseLedger

log = logging.getLogger(__name__)


class DeadlineWatcher:
    def __init__(self, app: CaseLedger, *, interval_s: float, on_fired: Callable[[], None]):
        self._app = app
        self._interval_s = interval_s
        self._on_fired = on_fired
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                if await asyncio.to_thread(self._app.sweep, self._app.clock()):
                    self._on_fired()  # the relay publishes the new case events now
            except Exception as exc:  # the store is down: the same minutes are swept next time
                log.warning("deadline sweep failed: %r; retrying in %.1fs", exc, self._interval_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval_s)

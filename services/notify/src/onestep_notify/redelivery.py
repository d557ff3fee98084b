"""Asks again for a portal's parked deliveries: those the portal names (its API), and, when a
portal whose webhook failed every attempt takes POSTs again, every delivery parked while it
failed. What is asked for again goes out as any delivery does (the dispatcher follows it from
notify's log), and is parked again, visibly, if it fails again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from onestep_runtime.follower import NotificationFollower

from .application import Notifier
from .domain.deliveries import UNREACHABLE
from .parked_projection import PARKED_NAME, ParkedProjection

log = logging.getLogger(__name__)
PAGE = 500  # deliveries asked for again in one transaction
CAUGHT_UP_WAIT_S = 0.2
RETRY_S = 5.0


class Redelivery:
    def __init__(self, notifier: Notifier, parked: ParkedProjection, followers: list[NotificationFollower]):
        """`followers`: woken when deliveries are asked for again (the dispatcher, the list)."""
        self._notifier = notifier
        self._parked = parked
        self._followers = followers
        self._back: asyncio.Queue[str] = asyncio.Queue()
        self._stopping = asyncio.Event()

    async def ask_again(self, rows: list[dict[str, Any]]) -> list[str]:
        """Asks again for these rows of the parked list; the event ids asked for."""
        asked = await asyncio.to_thread(self._notifier.redeliver, rows)
        if asked:
            for follower in self._followers:
                follower.wake()
        return asked

    def portal_back(self, portal: str) -> None:
        """The dispatcher's word that a failing portal's POST got through (its `on_back`)."""
        self._back.put_nowait(portal)

    async def run(self) -> None:
        while not self._stopping.is_set():
            portal = await self._next_portal_back()
            if portal is None:
                return
            try:
                await self._ask_again_for_unreachable(portal)
            except Exception as exc:  # the store is away: try the portal again later
                log.warning("redelivery to portal %s: %r; trying again in %.0fs", portal, exc, RETRY_S)
                await self._pause(RETRY_S)
                self._back.put_nowait(portal)

    def stop(self) -> None:
        self._stopping.set()

    async def _ask_again_for_unreachable(self, portal: str) -> None:
        """Every delivery parked as unreachable before the portal was back, a page at a time,
        once the list holds what the dispatcher recorded up to now (its last batch parked some)."""
        head = await asyncio.to_thread(self._notifier.recorder.max_notification_id) or 0
        while (await asyncio.to_thread(self._parked.view.max_tracking_id, PARKED_NAME) or 0) < head:
            if self._stopping.is_set():
                return
            await self._pause(CAUGHT_UP_WAIT_S)
        back_at = datetime.now(UTC).isoformat(timespec="microseconds")
        after, total = None, 0
        while not self._stopping.is_set():
            rows = await asyncio.to_thread(
                self._parked.of_portal, portal, kind=UNREACHABLE, after=after, parked_before=back_at, limit=PAGE
            )
            total += len(await self.ask_again(rows)) if rows else 0
            if len(rows) < PAGE:
                break
            after = (rows[-1]["parked_at"], rows[-1]["event_id"])
        if total:
            log.warning("portal %s is back: %d deliveries parked while it failed are sent again", portal, total)

    async def _next_portal_back(self) -> str | None:
        getting = asyncio.ensure_future(self._back.get())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({getting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if getting.done():
            return getting.result()
        getting.cancel()
        return None

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

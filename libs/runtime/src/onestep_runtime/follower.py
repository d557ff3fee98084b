"""Follows an application's own notification log, from a position it stores beside it.

This is the outbox: what a service publishes (to Kafka, to a webhook) is read back from
what it stored, never written a second time beside save(). The follower records its
position at most once a second while it is busy, and as soon as it is idle; a restart may
hand the last second's batches over again, and the receivers drop repeats by event id.

Instances of a service share the store: one at a time follows under a name, by a lease
(see leases); the others stand by and take over from the recorded position.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Recording, Tracking, TrackingRecorder
from prometheus_client import Counter, Gauge

from .leases import Lease, lease_for

log = logging.getLogger(__name__)

FAILURES = Counter(
    "onestep_follower_failures_total",
    "Batches a follower could not hand over (its peer or store was down) and will try again",
    ["follower"],
)
LEADING = Gauge(
    "onestep_follower_leading",
    "1 where this instance follows the log under the name; 0 where it stands by for another",
    ["follower"],
)
BEHIND = Gauge(
    "onestep_follower_behind_events",
    "Events this process stored that the follower has not handed over yet (0 standing by)",
    ["follower"],
)
READ_BACK = Counter(
    "onestep_log_events_read_back_total",
    "Stored events the followers read back from the store and decoded, not held in memory: "
    "another instance stored them, or the followers fell further behind than memory holds",
    ["application"],
)

# The events of its own log a process holds for its followers (DecodedLog); a follower further
# behind reads them back from the store and decodes them again. A consumer that holds back for
# its followers (projection_consumer's `held_back_by`) waits while one is more than
# CATCH_UP_WITHIN behind: within what is held, with a poll's events (notify: up to two a record
# of 500, a delivery asked for and a record started) and the follower's own to spare.
HELD_EVENTS = 2_000
CATCH_UP_WITHIN = 500


class DecodedLog:
    """An application's log read back as domain events, shared by its followers (a relay, a
    dispatcher, views): each stored event is decrypted and decoded once, not once per
    follower, and what this process recorded itself is not read back at all: the events just
    recorded are remembered with their notification ids. Domain events are immutable, and
    nothing changes the values they carry, so sharing them is safe."""

    def __init__(self, app: Application, keep: int = HELD_EVENTS):
        self._app = app
        self._keep = keep
        self._decoded: OrderedDict[int, Any] = OrderedDict()
        self._newest = 0  # the highest notification id held
        self._lock = threading.Lock()  # followers read from threads of their own

    @classmethod
    def of(cls, app: Application) -> DecodedLog:
        """The one shared by the application's followers."""
        with _LOGS_LOCK:
            log = getattr(app, "_onestep_decoded_log", None)
            if log is None:
                log = cls(app)
                app._onestep_decoded_log = log  # type: ignore[attr-defined]
            return log

    @staticmethod
    def remember(app: Application, recordings: list[Recording]) -> None:
        """Keeps the events the application just recorded for its followers, if it has any."""
        log = getattr(app, "_onestep_decoded_log", None)
        if log is not None and recordings:
            log._keep_all((recording.notification.id, recording.domain_event) for recording in recordings)

    def _keep_all(self, events: Iterable[tuple[int, Any]]) -> None:
        held = dict(events)
        with self._lock:
            self._decoded.update(held)
            self._newest = max(self._newest, max(held, default=0))
            while len(self._decoded) > self._keep:
                self._decoded.popitem(last=False)

    @property
    def newest(self) -> int:
        """The highest notification id this process stored (or read) and holds."""
        return self._newest

    def remembered(self, start: int, limit: int) -> tuple[list[Any], int | None, bool]:
        """Up to `limit` events from notification id `start` that this process holds, to the
        first id it does not hold, read without the store (so without a thread): ids are unique,
        so the store has nothing else between the first and the last. And whether the log may
        hold more at once: a full batch, or events held past an id that another instance's
        event may be."""
        events: list[Any] = []
        with self._lock:
            while len(events) < limit and (event := self._decoded.get(start + len(events), _NOT_HELD)) is not _NOT_HELD:
                events.append(event)
            newest = self._newest
        if not events:
            return [], None, False
        last = start + len(events) - 1
        return events, last, len(events) >= limit or newest > last

    def read(self, start: int, limit: int) -> tuple[list[Any], int | None]:
        """Up to `limit` events from notification id `start`, and the id of the last. The store
        tells which ids there are (another instance may have stored some); only the events not
        in memory are read with their states and decoded."""
        ids = self._ids(start, limit)
        with self._lock:
            events = {id_: self._decoded[id_] for id_ in ids if id_ in self._decoded}
        if missing := [id_ for id_ in ids if id_ not in events]:
            read = self._app.recorder.select_notifications(missing[0], len(ids), stop=missing[-1])
            decoded = [(n.id, self._app.mapper.to_domain_event(n)) for n in read if n.id not in events]
            READ_BACK.labels(self._app.name).inc(len(decoded))
            events.update(decoded)
            self._keep_all(decoded)
        return [events[id_] for id_ in ids], ids[-1] if ids else None

    def _ids(self, start: int, limit: int) -> list[int]:
        notification_ids = getattr(self._app.recorder, "notification_ids", None)
        if notification_ids is None:  # a store that cannot tell them alone (in memory)
            return [notification.id for notification in self._app.recorder.select_notifications(start, limit)]
        return notification_ids(start, limit)


_LOGS_LOCK = threading.Lock()
_NOT_HELD = object()
# How often a standby instance asks for the lease, and a following one whether it still holds it.
STAND_BY_S = 1.0
LEASE_CHECK_S = 1.0
# How often a busy follower records its position. A record per batch was a transaction, and
# a thread hop, for every poll of the service's consumer, most of a gateway's transactions.
RECORD_EVERY_S = 1.0

BatchOfEvents = Callable[[list[Any]], Awaitable[None]]
# Writes the events into a view, with the position of the last one, in one transaction.
TrackedBatch = Callable[[list[Any], int], None]


class NotificationFollower:
    def __init__(
        self,
        app: Application,
        *,
        name: str,
        handle: BatchOfEvents,
        batch_size: int = 500,
        idle_wait_s: float = 0.2,
        retry_delay_s: float = 1.0,
        lease: Lease | None = None,
    ):
        """`idle_wait_s`: how long an idle follower waits before reading the log again when
        nothing wakes it (what another instance stores wakes nothing here)."""
        self._app = app
        self.name = name
        self._handle = handle
        self._batch_size = batch_size
        self._idle_wait_s = idle_wait_s
        self._retry_delay_s = retry_delay_s
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._log = DecodedLog.of(app)
        self._lease = lease or lease_for(app, name)
        self._lease_checked = float("-inf")
        self.leading = False
        self.position = 0
        self._recorded = 0  # the position last recorded (or found recorded)
        self._record_due = 0.0
        self._advanced = asyncio.Event()  # set whenever the follower moves on, stands by or stops
        BEHIND.labels(name).set_function(lambda: self.behind if self.leading else 0)

    async def stored_position(self) -> int:
        """The position recorded in the store (reads the store, so it also tells it answers)."""
        return await asyncio.to_thread(self._app.recorder.max_tracking_id, self.name) or 0

    def wake(self) -> None:
        """Tells the follower new events were stored, so it need not wait for its poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._advanced.set()

    @property
    def behind(self) -> int:
        """How many of the events this process stored the follower has not handed over yet."""
        return max(0, self._log.newest - self.position)

    async def caught_up(self, within: int, timeout_s: float) -> bool:
        """Waits, at most `timeout_s`, until the follower is at most `within` events behind, or
        stands by (another instance follows), or stops; whether it got there in time. The
        follower is woken meanwhile: what it is behind on may have come with no wake (notify's
        dispatcher records its outcomes, and nothing wakes it or the parked view for them), and
        an idle follower would keep the waiting consumer to its idle wait."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.leading and not self._stopping.is_set() and self.behind > within:
            self._advanced.clear()
            self._wake.set()
            if (left := deadline - loop.time()) <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._advanced.wait(), timeout=left)
        return True

    async def run(self) -> None:
        delay = self._retry_delay_s
        try:
            while not self._stopping.is_set():
                try:
                    if not await self._lead():
                        await self._pause(STAND_BY_S)
                        continue
                    if not await self._follow_once() and not await self._sleep(self._idle_wait_s):
                        await self._record_position()  # idle: what was handed over is recorded
                    delay = self._retry_delay_s
                except Exception as exc:  # a peer or the store is down: retry the same batch later
                    FAILURES.labels(self.name).inc()
                    log.warning("%s: %r; retrying in %.1fs", self.name, exc, delay)
                    await self._pause(delay)
                    delay = min(delay * 2, 30.0)
        finally:
            self._record_before_stopping()
            self._lease.release()
            self._set_leading(False)

    async def _lead(self) -> bool:
        """Whether this instance follows now: the lease is asked at most every LEASE_CHECK_S.
        Taking it over, the follower goes on from the position the last holder recorded."""
        if self.leading and time.monotonic() - self._lease_checked < LEASE_CHECK_S:
            return True
        try:
            held = await asyncio.to_thread(self._lease.hold)
        except Exception:
            self._set_leading(False)  # the store is away: its lease may be another's by now
            raise
        self._lease_checked = time.monotonic()
        if held and not self.leading:
            await self._go_on_from_recorded()
            log.info("%s: following the log from position %d", self.name, self.position)
        elif self.leading and not held:
            log.warning("%s: another instance follows the log now; standing by", self.name)
        self._set_leading(held)
        return held

    def _set_leading(self, leading: bool) -> None:
        self.leading = leading
        LEADING.labels(self.name).set(int(leading))
        self._advanced.set()

    async def _follow_once(self) -> bool:
        """Hands over the next batch; whether the log may hold more at once. What this process
        recorded comes from memory, the rest from the store. A batch that was all there was when
        it was read is not followed by another read at once: what is stored after it wakes the
        follower (the wake is cleared before the read), and that read found nothing after nearly
        every batch (a read from the store is a thread hop and a query)."""
        self._wake.clear()  # a wake that comes while this batch is read is kept for the next
        events, last, more = self._log.remembered(self.position + 1, self._batch_size)
        if last is None:  # not held here: read from the store
            events, last = await asyncio.to_thread(self._log.read, self.position + 1, self._batch_size)
            more = len(events) >= self._batch_size
        if last is None:
            return False
        try:
            await self._deliver(events, last)
        except IntegrityError:
            await self._go_on_from_recorded()
            return True
        self.position = last
        self._advanced.set()
        if time.monotonic() >= self._record_due:
            await self._record_position()
        return more

    async def _deliver(self, events: list[Any], last: int) -> None:
        await self._handle(events)

    async def _record_position(self) -> None:
        self._record_due = time.monotonic() + RECORD_EVERY_S
        if self.position <= self._recorded:
            return
        try:
            await asyncio.to_thread(self._record, self.position)
        except IntegrityError:
            await self._go_on_from_recorded()

    async def _go_on_from_recorded(self) -> None:
        """Goes on from whatever position is recorded now: taking the lead, or when another
        instance of the service following the same log recorded a position first (it handled
        the batches too; receivers drop repeats by event id)."""
        self.position = self._recorded = await self.stored_position()

    def _record_before_stopping(self) -> None:
        """What was handed over is recorded, so that the next start does not hand it over again
        (on the loop: the task may be being cancelled)."""
        if not self.leading or self.position <= self._recorded:
            return
        try:
            self._record(self.position)
        except Exception as exc:  # the store is away, or another instance recorded further
            log.warning("%s: position %d not recorded on stopping: %r", self.name, self.position, exc)

    def _record(self, position: int) -> None:
        self._app.recorder.insert_events([], tracking=Tracking(self.name, position))
        self._recorded = position

    async def _sleep(self, seconds: float) -> bool:
        """Waits for new events to be stored, or `seconds`; whether it was woken."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    async def _pause(self, seconds: float) -> None:
        """Waits `seconds` whatever is stored meanwhile (standing by, backing off): a wake,
        which comes with every poll of the service's consumer, must not cut the wait short."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)


class ViewFollower(NotificationFollower):
    """Follows the log into a view (an eventsourcing tracking recorder) that records the
    position in the same transaction as what it wrote: nothing is counted twice or skipped."""

    def __init__(
        self,
        app: Application,
        *,
        view: TrackingRecorder,
        name: str,
        apply: TrackedBatch,
        forget: Callable[[], None] | None = None,
        **options: Any,
    ):
        """`forget`: for a view that carries what it wrote from batch to batch, called whenever
        the follower goes on from the position recorded in the store (taking the lead, or after
        another instance recorded further): another instance may have written the view since.
        It runs between batches, never beside one."""
        super().__init__(app, name=name, handle=self._not_used, **options)
        self._view = view
        self._apply = apply
        self._forget = forget

    async def stored_position(self) -> int:
        return await asyncio.to_thread(self._view.max_tracking_id, self.name) or 0

    async def _go_on_from_recorded(self) -> None:
        if self._forget:
            self._forget()
        await super()._go_on_from_recorded()

    async def _deliver(self, events: list[Any], last: int) -> None:
        await asyncio.to_thread(self._apply, events, last)
        self._recorded = last  # with what it wrote

    @staticmethod
    async def _not_used(events: list[Any]) -> None:
        raise NotImplementedError

"""Delivers what notify recorded: follows its own log and POSTs each requested webhook.

A batch's POSTs go out together and its outcomes are recorded together, so the batch waits for
its slowest POST. A portal whose webhook is down would hold every portal's next events for all
of its retries (up to NOTIFY_MAX_ATTEMPTS timeouts and the backoff between them). So once a
portal's POST has failed every attempt, one of its POSTs is tried once, not retried, every
NOTIFY_FAILING_RETRY_S, and its other deliveries are parked at once, untried: a webhook that
does not answer takes each POST's whole timeout, and tried with every batch, once for each of
its POSTs there, it held every batch for those timeouts. When one gets through, the
deliveries parked while it failed are asked for again (`on_back`); so too at a portal's first
POST through since the process started, which cannot know whether the portal failed before it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Gauge

from .adapters.webhook import Attempt, Post, WebhookSender
from .application import WEBHOOK, Notifier
from .domain.deliveries import REFUSED, UNCONFIGURED, UNREACHABLE, CaseNotifications
from .settings import Webhook

DELIVERIES = Counter("onestep_notify_deliveries_total", "Deliveries finished", ["channel", "state"])
FAILING = Gauge(
    "onestep_notify_failing_portals",
    "Portals whose last POST failed every attempt (one POST tried every NOTIFY_FAILING_RETRY_S)",
)
log = logging.getLogger(__name__)
DISPATCH_NAME = "dispatch:webhook"
# What the dispatcher hands over: a delivery asked for, the first time or again.
REQUESTS = (CaseNotifications.DeliveryRequested, CaseNotifications.RedeliveryRequested)


@dataclass
class Failing:
    """A portal whose POST failed every attempt."""

    since: str  # when, as the parked deliveries' reasons say it
    next_try: float  # when one of its POSTs is tried next, by the dispatcher's clock


class WebhookDispatcher:
    def __init__(
        self,
        notifier: Notifier,
        sender: WebhookSender,
        webhooks: dict[str, Webhook],
        *,
        concurrency: int = 16,
        failing_retry_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._notifier = notifier
        self._failing_retry_s = failing_retry_s
        self._clock = clock
        # Told when a failing portal's POST gets through again, once the batch's outcomes are recorded.
        self.on_back: Callable[[str], None] | None = None
        # A few POSTs in flight on connections kept open: hundreds at once cost more in
        # choosing connections than in sending.
        self._in_flight = asyncio.Semaphore(concurrency)
        self._sender = sender
        self._webhooks = webhooks
        self._failing: dict[str, Failing] = {}  # portals whose POSTs fail every attempt
        self._through: set[str] = set()  # portals a POST got through to since the process started

    async def dispatch(self, domain_events: list[Any]) -> None:
        """Delivers the batch's requested webhooks at once, then records every outcome in one
        transaction (a transaction per delivery was most of notify's time)."""
        requested = [event for event in domain_events if isinstance(event, REQUESTS) and event.channel == WEBHOOK]
        if not requested:
            return
        pending = await asyncio.to_thread(self._notifier.pending, requested)
        back: list[str] = []
        outcomes = await asyncio.gather(*(self._deliver(*post, back) for post in self._posts(pending)))
        finished = [
            (event.originator_id, event.event_id, WEBHOOK, attempts, parked_as)
            for events, attempts, parked_as in outcomes
            for event in events
            if attempts
        ]
        if finished:
            await asyncio.to_thread(self._notifier.record_attempts, finished)
        for *_, attempts, _ in finished:
            DELIVERIES.labels(WEBHOOK, "delivered" if attempts[-1].outcome == "delivered" else "parked").inc()
        for portal in back if self.on_back else ():
            self.on_back(portal)

    def _posts(self, requested: list[Any]) -> Iterator[tuple[str, Webhook | None, list[Any]]]:
        """The deliveries grouped into POSTs, with the portal's webhook: one event each, or up to
        the portal's batch size for a portal that takes batches (in the order they were
        requested); a portal without a webhook, all of its events at once (each is parked)."""
        by_portal: dict[str, list[Any]] = defaultdict(list)
        for event in requested:
            by_portal[event.target].append(event)
        for portal, events in by_portal.items():
            webhook = self._webhooks.get(portal)
            size = len(events) if webhook is None else webhook.batch or 1
            for start in range(0, len(events), size):
                yield portal, webhook, events[start : start + size]

    async def _deliver(
        self, portal: str, webhook: Webhook | None, events: list[Any], back: list[str]
    ) -> tuple[list[Any], list[Attempt], str]:
        """The attempts made for one POST, which are every one of its events' attempts, and how
        they are parked if the last did not deliver them. A failing portal whose POST got
        through is added to `back`."""
        if webhook is None:
            return events, [Attempt("parked", f"no webhook is configured for portal {portal!r}")], UNCONFIGURED
        bodies = [event.body.encode() for event in events]
        post = Post.batch(bodies) if webhook.batch else Post.single(bodies[0], events[0].event_id)
        async with self._in_flight:
            # Decided once the POST has its turn: a POST queued behind the portal's first
            # failing ones would otherwise make every attempt of its own too.
            failing = self._failing.get(portal)
            if failing and not self._due_a_try(failing):
                note = (
                    f"not tried: the portal's webhook has failed every attempt since {failing.since}"
                    f" (one POST is tried every {self._failing_retry_s:g}s)"
                )
                return events, [Attempt("parked", note)], UNREACHABLE
            result = await self._sender.deliver(webhook.url, webhook.secret, post, max_attempts=1 if failing else None)
        if result.delivered:
            if was_failing := self._failing.pop(portal, None):
                FAILING.set(len(self._failing))
                log.warning("portal %s's webhook takes POSTs again (failing since %s)", portal, was_failing.since)
            if was_failing or portal not in self._through:
                self._through.add(portal)
                back.append(portal)
        elif result.gave_up_on is None:  # refused (4xx): the portal's webhook answers
            return events, result.attempts, REFUSED
        elif failing:
            note = f"tried once: the portal's webhook has failed every attempt since {failing.since}"
            return events, [*result.attempts[:-1], Attempt("parked", f"{result.gave_up_on}; {note}")], UNREACHABLE
        elif portal not in self._failing:  # (another POST of the batch may have got there first)
            since = datetime.now(UTC).isoformat(timespec="seconds")
            self._failing[portal] = Failing(since, next_try=self._clock() + self._failing_retry_s)
            FAILING.set(len(self._failing))
            log.warning(
                "portal %s's webhook failed every attempt: one of its POSTs is tried every %gs until one gets through",
                portal,
                self._failing_retry_s,
            )
        return events, result.attempts, UNREACHABLE

    def _due_a_try(self, failing: Failing) -> bool:
        """Whether a failing portal's POST is tried now: the first once its interval has passed
        (decided before the POST is awaited, so the batch's other POSTs to it are not)."""
        now = self._clock()
        if now < failing.next_try:
            return False
        failing.next_try = now + self._failing_retry_s
        return True

"""Delivers what notify recorded: follows its own log and POSTs each requested webhook."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import Counter

from .adapters.webhook import Attempt, WebhookSender
from .application import WEBHOOK, Notifier
from .domain.deliveries import CaseNotifications, delivery_key
from .settings import Webhook

DELIVERIES = Counter("onestep_notify_deliveries_total", "Deliveries finished", ["channel", "state"])
DISPATCH_NAME = "dispatch:webhook"


class WebhookDispatcher:
    def __init__(
        self, notifier: Notifier, sender: WebhookSender, webhooks: dict[str, Webhook], *, concurrency: int = 16
    ):
        self._notifier = notifier
        # A few POSTs in flight on connections kept open: hundreds at once cost more in
        # choosing connections than in sending.
        self._in_flight = asyncio.Semaphore(concurrency)
        self._sender = sender
        self._webhooks = webhooks

    async def dispatch(self, domain_events: list[Any]) -> None:
        """Delivers the batch's requested webhooks at once, then records every outcome in one
        transaction (a transaction per delivery was most of notify's time)."""
        requested = [
            event
            for event in domain_events
            if isinstance(event, CaseNotifications.DeliveryRequested) and event.channel == WEBHOOK
        ]
        if not requested:
            return
        ids = {event.originator_id for event in requested}
        records = await asyncio.to_thread(lambda: {record_id: self._notifier.record(record_id) for record_id in ids})
        outcomes = await asyncio.gather(*(self._deliver(records[event.originator_id], event) for event in requested))
        finished = [
            (event.originator_id, event.event_id, WEBHOOK, attempts) for event, attempts in outcomes if attempts
        ]
        if finished:
            await asyncio.to_thread(self._notifier.record_attempts, finished)
        for *_, attempts in finished:
            DELIVERIES.labels(WEBHOOK, "delivered" if attempts[-1].outcome == "delivered" else "parked").inc()

    async def _deliver(self, record: CaseNotifications, requested: Any) -> tuple[Any, list[Attempt]]:
        """The attempts made, none if it was delivered or parked before (a batch handed over
        again after a restart)."""
        delivery = record.deliveries[delivery_key(requested.event_id, WEBHOOK)]
        if delivery["state"] != "pending":
            return requested, []
        webhook = self._webhooks.get(record.portal)
        if webhook is None:
            return requested, [Attempt("parked", f"no webhook is configured for portal {record.portal!r}")]
        async with self._in_flight:
            result = await self._sender.deliver(
                webhook.url, webhook.secret, requested.body.encode(), requested.event_id
            )
        return requested, result.attempts

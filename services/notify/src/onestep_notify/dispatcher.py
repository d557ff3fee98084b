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
    def __init__(self, notifier: Notifier, sender: WebhookSender, webhooks: dict[str, Webhook]):
        self._notifier = notifier
        self._sender = sender
        self._webhooks = webhooks

    async def dispatch(self, domain_events: list[Any]) -> None:
        requested = [
            event
            for event in domain_events
            if isinstance(event, CaseNotifications.DeliveryRequested) and event.channel == WEBHOOK
        ]
        await asyncio.gather(*(self._deliver(event) for event in requested))

    async def _deliver(self, requested: Any) -> None:
        record = await asyncio.to_thread(self._notifier.record, requested.originator_id)
        delivery = record.deliveries[delivery_key(requested.event_id, WEBHOOK)]
        if delivery["state"] != "pending":
            return  # delivered or parked before a restart handed this batch over again
        webhook = self._webhooks.get(record.portal)
        if webhook is None:
            attempts = [Attempt("parked", f"no webhook is configured for portal {record.portal!r}")]
        else:
            result = await self._sender.deliver(
                webhook.url, webhook.secret, requested.body.encode(), requested.event_id
            )
            attempts = result.attempts
        await asyncio.to_thread(
            self._notifier.record_attempts, requested.originator_id, requested.event_id, WEBHOOK, attempts
        )
        DELIVERIES.labels(WEBHOOK, "delivered" if attempts[-1].outcome == "delivered" else "parked").inc()

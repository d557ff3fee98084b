"""The one place that wires notify's settings, store, consumer, dispatcher and HTTP client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from onestep_contracts import topics
from onestep_runtime.consumer import TopicConsumer
from onestep_runtime.follower import NotificationFollower, ViewFollower
from onestep_runtime.kafka import RenewingProducer, make_producer
from onestep_runtime.projection_consumer import projection_consumer

from .adapters.parked_view import parked_view
from .adapters.webhook import WebhookSender
from .application import Notifier
from .dispatcher import DISPATCH_NAME, WebhookDispatcher
from .parked_projection import PARKED_NAME, ParkedProjection, gauge_parked
from .redelivery import Redelivery
from .settings import NotifySettings

SERVICE = "notify"


@dataclass
class Notify:
    settings: NotifySettings
    app: Notifier
    producer: RenewingProducer
    consumer: TopicConsumer
    dispatcher: NotificationFollower
    parked: ParkedProjection
    parked_follower: ViewFollower
    redelivery: Redelivery
    http: httpx.AsyncClient


def bootstrap(
    settings: NotifySettings, *, env: dict[str, Any] | None = None, producer: RenewingProducer | None = None
) -> Notify:
    app = Notifier(env=env)
    producer = producer or make_producer(settings.kafka_bootstrap_servers, client_id=SERVICE)
    connections = settings.concurrent_deliveries
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    http = httpx.AsyncClient(timeout=settings.request_timeout_s, limits=limits)
    sender = WebhookSender(
        http,
        max_attempts=settings.max_attempts,
        backoff_initial_s=settings.backoff_initial_s,
        backoff_max_s=settings.backoff_max_s,
    )
    parked = ParkedProjection(parked_view(app))
    gauge_parked(parked)
    parked_follower = ViewFollower(app, view=parked.view, name=PARKED_NAME, apply=parked.apply, idle_wait_s=0.5)
    dispatch = WebhookDispatcher(
        app, sender, settings.portal_webhooks, concurrency=connections, failing_retry_s=settings.failing_retry_s
    )
    dispatcher = NotificationFollower(app, name=DISPATCH_NAME, handle=dispatch.dispatch)
    redelivery = Redelivery(app, parked, followers=[dispatcher, parked_follower])
    dispatch.on_back = redelivery.portal_back

    consumer = projection_consumer(
        app,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group,
        topics=[topics.CASES],
        service=SERVICE,
        producer=producer,
        followers=[dispatcher, parked_follower],  # woken with each poll, they read what it recorded from memory
        held_back_by=[dispatcher, parked_follower],  # and it waits for them under a burst, so that they still can
        max_records=settings.max_batch,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        event_types=Notifier.EVENT_TYPES,
    )
    return Notify(settings, app, producer, consumer, dispatcher, parked, parked_follower, redelivery, http)

"""The one place that wires notify's settings, store, consumer, dispatcher and HTTP client."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer, TopicPartition

from onestep_contracts import topics
from onestep_runtime.consumer import Delivery, TopicConsumer
from onestep_runtime.dead_letters import DeadLetters
from onestep_runtime.follower import NotificationFollower
from onestep_runtime.kafka import make_producer

from .adapters.webhook import WebhookSender
from .application import Notifier
from .dispatcher import DISPATCH_NAME, WebhookDispatcher
from .settings import NotifySettings

SERVICE = "notify"


@dataclass
class Notify:
    settings: NotifySettings
    app: Notifier
    producer: AIOKafkaProducer
    consumer: TopicConsumer
    dispatcher: NotificationFollower
    http: httpx.AsyncClient


def bootstrap(
    settings: NotifySettings, *, env: dict[str, Any] | None = None, producer: AIOKafkaProducer | None = None
) -> Notify:
    app = Notifier(env=env)
    producer = producer or make_producer(settings.kafka_bootstrap_servers, client_id=SERVICE)
    http = httpx.AsyncClient(timeout=settings.request_timeout_s)
    sender = WebhookSender(
        http,
        max_attempts=settings.max_attempts,
        backoff_initial_s=settings.backoff_initial_s,
        backoff_max_s=settings.backoff_max_s,
    )
    dispatcher = NotificationFollower(
        app, name=DISPATCH_NAME, handle=WebhookDispatcher(app, sender, settings.portal_webhooks).dispatch
    )

    async def apply(partition: TopicPartition, deliveries: list[Delivery], last_offset: int) -> bool:
        envelopes = [delivery.envelope for delivery in deliveries]
        applied = await asyncio.to_thread(app.apply_batch, partition.topic, partition.partition, envelopes, last_offset)
        dispatcher.wake()
        return applied

    async def stored_position(partition: TopicPartition) -> int | None:
        return await asyncio.to_thread(app.stored_position, partition.topic, partition.partition)

    consumer = TopicConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group,
        topics=[topics.CASES],
        service=SERVICE,
        handle_batch=apply,
        dead_letters=DeadLetters(producer, service=SERVICE),
        stored_position=stored_position,
        max_records=settings.max_batch,
    )
    return Notify(settings, app, producer, consumer, dispatcher, http)

"""The one place that wires case-ledger's settings, store, consumer and relay together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from onestep_contracts import topics
from onestep_contracts.calendar import WorkingCalendar
from onestep_runtime.consumer import TopicConsumer
from onestep_runtime.follower import NotificationFollower
from onestep_runtime.kafka import make_producer
from onestep_runtime.projection_consumer import projection_consumer

from .adapters.case_publisher import RELAY_NAME, CaseEventPublisher
from .application import CaseLedger
from .settings import LedgerSettings

SERVICE = "case-ledger"


@dataclass
class Ledger:
    settings: LedgerSettings
    app: CaseLedger
    producer: AIOKafkaProducer
    consumer: TopicConsumer
    relay: NotificationFollower


def bootstrap(
    settings: LedgerSettings, *, env: dict[str, Any] | None = None, producer: AIOKafkaProducer | None = None
) -> Ledger:
    """`env` overrides the eventsourcing variables (PERSISTENCE_MODULE, SQLITE_DBNAME, ...) read from the environment."""
    app = CaseLedger(env=env, calendar=WorkingCalendar.from_file(settings.calendar_file))
    producer = producer or make_producer(settings.kafka_bootstrap_servers, client_id=SERVICE)
    relay = NotificationFollower(app, name=RELAY_NAME, handle=CaseEventPublisher(producer).publish_batch)

    consumer = projection_consumer(
        app,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group,
        topics=[topics.APPLICATIONS, topics.DECISIONS],
        service=SERVICE,
        producer=producer,
        follower=relay,
        max_records=settings.max_batch,
    )
    return Ledger(settings, app, producer, consumer, relay)

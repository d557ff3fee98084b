"""The one place that wires department-gateway's settings, adapter and consumer together."""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaProducer, TopicPartition

from onestep_contracts import topics
from onestep_runtime.consumer import Delivery, TopicConsumer
from onestep_runtime.dead_letters import DeadLetters
from onestep_runtime.kafka import make_producer

from .adapters.loading import load_adapter
from .application import DepartmentGateway
from .settings import GatewaySettings


@dataclass
class Gateway:
    settings: GatewaySettings
    gateway: DepartmentGateway
    producer: AIOKafkaProducer
    consumer: TopicConsumer


def bootstrap(settings: GatewaySettings, *, producer: AIOKafkaProducer | None = None) -> Gateway:
    service = f"department-gateway.{settings.department}"
    adapter = load_adapter(settings.adapter, settings.department_config)
    producer = producer or make_producer(settings.kafka_bootstrap_servers, client_id=service)
    gateway = DepartmentGateway(settings.department, adapter, producer)

    async def handle(partition: TopicPartition, deliveries: list[Delivery], last_offset: int) -> None:
        await gateway.handle([delivery.envelope for delivery in deliveries])

    consumer = TopicConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.group_id,
        topics=[topics.APPLICATIONS, topics.CASES],
        service=service,
        handle_batch=handle,
        dead_letters=DeadLetters(producer, service=service),
        max_records=settings.max_batch,
    )
    return Gateway(settings, gateway, producer, consumer)

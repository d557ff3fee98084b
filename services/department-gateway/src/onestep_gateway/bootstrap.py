"""The one place that wires department-gateway's settings, task record, adapter, consumer,
dispatcher and decision relay together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from onestep_contracts import topics
from onestep_contracts.adapters import DepartmentAdapter
from onestep_contracts.envelope import addressed_elsewhere
from onestep_runtime.consumer import TopicConsumer
from onestep_runtime.follower import NotificationFollower, ViewFollower
from onestep_runtime.kafka import RenewingProducer, make_producer
from onestep_runtime.projection_consumer import projection_consumer

from .adapters.desk_view import desk_view
from .adapters.loading import load_adapter
from .adapters.task_publisher import RELAY_NAME, TaskPublisher
from .application import DepartmentTasks
from .desk_projection import DESK_NAME, DeskProjection
from .dispatcher import Dispatcher, gauge_waiting
from .poller import Poller
from .settings import GatewaySettings

DISPATCH_NAME = "dispatch"


def dispatch_backlog(app: DepartmentTasks) -> int:
    """Recorded events not yet handed to the adapter, read from the store: whichever instance
    dispatches (see leases), every instance says the same. A busy dispatcher records how far it
    got once a second, so under load this counts up to a second's events it has handed over."""
    return (app.recorder.max_notification_id() or 0) - (app.recorder.max_tracking_id(DISPATCH_NAME) or 0)


@dataclass
class Gateway:
    settings: GatewaySettings
    app: DepartmentTasks
    adapter: DepartmentAdapter
    producer: RenewingProducer
    consumer: TopicConsumer
    dispatch: NotificationFollower
    relay: NotificationFollower
    desk: DeskProjection
    desk_follower: ViewFollower
    poller: Poller | None


def bootstrap(
    settings: GatewaySettings,
    *,
    env: dict[str, Any] | None = None,
    producer: RenewingProducer | None = None,
    adapter: DepartmentAdapter | None = None,
) -> Gateway:
    """`env` overrides the eventsourcing variables (PERSISTENCE_MODULE, SQLITE_DBNAME, ...) read
    from the environment; `adapter` replaces the one named in settings."""
    service = f"department-gateway.{settings.department}"
    adapter = adapter or load_adapter(settings.adapter, settings.department_config)
    app = DepartmentTasks(env=env, department=settings.department, regions=settings.regions, adapter=adapter)
    producer = producer or make_producer(settings.kafka_bootstrap_servers, client_id=service)
    publisher = TaskPublisher(producer, settings.department, gateway=settings.group_id, regions=settings.regions)
    relay = NotificationFollower(app, name=RELAY_NAME, handle=publisher.publish_batch)
    dispatch = NotificationFollower(
        app,
        name=DISPATCH_NAME,
        handle=Dispatcher(app, adapter, on_decided=relay.wake).handle,
        retry_delay_s=settings.dispatch_retry_s,
    )
    consumer = projection_consumer(
        app,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.group_id,
        topics=[topics.APPLICATIONS, topics.TASKS],
        service=service,
        producer=producer,
        followers=[dispatch, relay],
        max_records=settings.max_batch,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        event_types=DepartmentTasks.EVENT_TYPES,
        passes_over=addressed_elsewhere(settings.department),
    )
    desk = DeskProjection(desk_view(app))
    desk_follower = ViewFollower(app, view=desk.view, name=DESK_NAME, apply=desk.apply, idle_wait_s=0.5)
    polls = getattr(adapter, "polls", False)
    poller = Poller(app, adapter, desk, on_decided=relay.wake) if polls else None
    gauge_waiting(
        settings.department,
        parked=lambda: desk.count("parked"),
        backlog=lambda: dispatch_backlog(app),
    )
    return Gateway(settings, app, adapter, producer, consumer, dispatch, relay, desk, desk_follower, poller)

"""The one place that wires case-ledger's settings, store, consumer and relay together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from onestep_contracts import topics
from onestep_contracts.calendar import WorkingCalendar
from onestep_runtime.consumer import TopicConsumer
from onestep_runtime.follower import NotificationFollower, ViewFollower
from onestep_runtime.kafka import RenewingProducer, make_producer
from onestep_runtime.projection_consumer import projection_consumer

from .adapters.case_publisher import RELAY_NAME, CaseEventPublisher
from .adapters.stats_view import stats_view
from .application import CaseLedger, utc_now
from .deadline_watcher import DeadlineWatcher
from .domain.case_rules import Timing
from .settings import LedgerSettings
from .stats_projection import STATS_NAME, StatsProjection

SERVICE = "case-ledger"


@dataclass
class Ledger:
    settings: LedgerSettings
    app: CaseLedger
    producer: RenewingProducer
    consumer: TopicConsumer
    relay: NotificationFollower
    watcher: DeadlineWatcher
    stats: StatsProjection
    stats_follower: ViewFollower


def open_ledger(
    settings: LedgerSettings, *, env: dict[str, Any] | None = None, clock: Callable[[], datetime] = utc_now
) -> CaseLedger:
    """The ledger's application on its store, without its consumer and followers."""
    timing = Timing(
        WorkingCalendar.from_file(settings.calendar_file),
        settings.reminder_lead_days,
        settings.supplement_window,
        settings.routing_window,
    )
    return CaseLedger(env=env, timing=timing, clock=clock)


def bootstrap(
    settings: LedgerSettings,
    *,
    env: dict[str, Any] | None = None,
    producer: RenewingProducer | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Ledger:
    """`env` overrides the eventsourcing variables (PERSISTENCE_MODULE, SQLITE_DBNAME, ...) read
    from the environment; `clock` is what the timers are fired by."""
    app = open_ledger(settings, env=env, clock=clock)
    producer = producer or make_producer(settings.kafka_bootstrap_servers, client_id=SERVICE)
    relay = NotificationFollower(app, name=RELAY_NAME, handle=CaseEventPublisher(producer).publish_batch)
    watcher = DeadlineWatcher(app, interval_s=settings.sweep_interval_s, on_fired=relay.wake)
    stats = StatsProjection(stats_view(app), app.calendar)
    stats_follower = ViewFollower(app, view=stats.view, name=STATS_NAME, apply=stats.apply, forget=stats.forget)

    consumer = projection_consumer(
        app,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group,
        topics=[topics.APPLICATIONS, topics.DECISIONS],
        service=SERVICE,
        producer=producer,
        followers=[relay],
        max_records=settings.max_batch,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        time_skew_ms=settings.time_skew_ms or None,
    )
    return Ledger(settings, app, producer, consumer, relay, watcher, stats, stats_follower)

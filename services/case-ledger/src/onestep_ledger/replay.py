"""Rebuilding the ledger's case read model (the stats tables) from its store: every stored
event read back from the log in order, decoded and folded into a view, a page at a time, each
page in one transaction with its position. What a new or changed read model goes through,
and what the benchmark times."""

from __future__ import annotations

from eventsourcing.application import Application
from eventsourcing.utils import resolve_topic

from .stats_projection import STATS_NAME, StatsProjection

PAGE = 1000


def rebuild(source: Application, projection: StatsProjection) -> int:
    """Folds the source's whole log into the projection's view, from where the view stopped;
    returns how many events were read."""
    position = projection.view.max_tracking_id(STATS_NAME) or 0
    events = 0
    while notifications := source.recorder.select_notifications(position + 1, PAGE):
        # Only the events the view folds are decrypted and decoded: a stored event names its
        # class (a timer index's, a task's acceptance) before it is decoded.
        folded = [n for n in notifications if issubclass(resolve_topic(n.topic), StatsProjection.FOLDS)]
        projection.apply([source.mapper.to_domain_event(n) for n in folded], notifications[-1].id)
        position = notifications[-1].id
        events += len(notifications)
    return events

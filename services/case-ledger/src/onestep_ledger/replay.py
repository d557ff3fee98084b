"""Rebuilding the ledger's case read model (the stats tables) from its store: the stored events
the view folds read back from the log in order, decoded and folded into a view, a page at a
time, each page in one transaction with its position. What a new or changed read model goes
through, and what the benchmark times."""

from __future__ import annotations

from eventsourcing.application import Application
from eventsourcing.utils import get_topic

from .stats_projection import STATS_NAME, KeptRows, StatsProjection

PAGE = 10000

# Only the events the view folds are read: the store passes over the others (a minute's
# timers, an acceptance) by the topic each stored event names, without reading their state.
# A class renamed later must keep its old topic here as well.
FOLDED_TOPICS = tuple(get_topic(cls) for cls in StatsProjection.FOLDS)


def rebuild(source: Application, projection: StatsProjection) -> int:
    """Folds the source's log, as far as it goes now, into the projection's view, from where
    the view stopped; returns how many events were folded. The view's position ends at the
    log's last event, whether the view folds it or not."""
    position = projection.view.max_tracking_id(STATS_NAME) or 0
    end = source.recorder.max_notification_id() or 0
    folded = 0
    kept = KeptRows()
    while position < end:
        page = source.recorder.select_notifications(position + 1, PAGE, stop=end, topics=FOLDED_TOPICS)
        # A short page is the last before `end`: nothing the view folds lies between them.
        last = page[-1].id if len(page) == PAGE else end
        projection.apply_stored(page, source.mapper, last, kept)
        position = last
        folded += len(page)
    return folded

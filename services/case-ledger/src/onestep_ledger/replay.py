"""Rebuilding the ledger's case read model (the stats tables) from its store: the stored events
the view folds read back from the log in order, decoded and folded into a view, a page at a
time, each page in one transaction with its position. What a new or changed read model goes
through, and what the benchmark times.

A rebuild can run in several processes, one core each (`rebuild_in_processes`): each folds
the events of its own share of the cases (a case's rows are written by one process only),
read alone where the store can pick them (`Shard.id_ends`), recording its position under a
name of its own; once all have reached the log's end, the view's position is recorded there.
An interrupted rebuild goes on from where each process stopped when run again with as many
processes."""

from __future__ import annotations

import multiprocessing
import resource
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from onestep_runtime import heap

from .adapters.stats_view import stats_view
from .bootstrap import open_ledger
from .settings import LedgerSettings
from .stats_projection import STATS_NAME, KeptRows, StatsProjection

PAGE = 10000
# The cases a page may name: the fold holds the rows of every case its page names, and a page
# of a burst's openings (after a stall the ledger opens the backlog's cases before their
# decisions) names a case an event. A page that would name more ends before the case that
# would be one too many.
PAGE_CASES = 5000

# Only the events the view folds are read: the store passes over the others (a minute's
# timers, an acceptance) by the topic each stored event names, without reading their state.
# A class renamed later must keep its old topic here as well.
FOLDED_TOPICS = tuple(get_topic(cls) for cls in StatsProjection.FOLDS)


@dataclass(frozen=True)
class Shard:
    """The cases one process of a rebuild folds: those whose id leaves `index` over when divided by `count`."""

    index: int = 0
    count: int = 1

    def holds(self, case_id: UUID) -> bool:
        return case_id.int % self.count == self.index

    @property
    def id_ends(self) -> tuple[str, ...] | None:
        """The last hex digits of the ids it holds, where they tell: when `count` divides 16, an
        id's remainder is its last digit's. The store then reads this share alone."""
        if 16 % self.count:
            return None
        return tuple(f"{digit:x}" for digit in range(16) if digit % self.count == self.index)

    @property
    def position(self) -> str:
        return STATS_NAME if self.count == 1 else f"{STATS_NAME}:{self.index}/{self.count}"


def rebuild(source: Application, projection: StatsProjection, *, shard: Shard = Shard(), end: int | None = None) -> int:
    """Folds the source's log up to `end` (as far as it goes now by default) into the
    projection's view, from where the view (or this shard of it) stopped; returns how many events
    were folded. The position ends at `end`, whether the view folds its event or not."""
    view = projection.view
    position = max(view.max_tracking_id(shard.position) or 0, view.max_tracking_id(STATS_NAME) or 0)
    if end is None:
        end = source.recorder.max_notification_id() or 0
    folded = analyzed = 0
    kept = KeptRows()
    while position < end:
        page, last = _page(source, shard, position + 1, end)
        projection.apply_stored(page, source.mapper, last, kept, shard.position)
        position = last
        folded += len(page)
        del page  # not held while the next is read: a page is most of a rebuild's memory
        if folded and folded >= 2 * analyzed:  # statistics each time the fold has doubled (SqlView.analyze)
            view.analyze()
            analyzed = folded
    return folded


def _page(source: Application, shard: Shard, start: int, end: int) -> tuple[list[Any], int]:
    """The next page of the shard's events the view folds, and the position it reaches: a short
    page is the last before `end` (nothing the view folds, of this share, lies between them).
    The store picks the shard's cases where it can (all of them for a rebuild in one process: a
    share is read in the ids' order whatever the planner knows of the log, see SHARE_BY_INDEX);
    otherwise the others are dropped here."""
    select_share = getattr(source.recorder, "select_share", None)
    picked = shard.id_ends is not None and select_share is not None
    if picked:
        page = select_share(start, end, PAGE, FOLDED_TOPICS, shard.id_ends)
    else:
        page = source.recorder.select_notifications(start, PAGE, stop=end, topics=FOLDED_TOPICS)
    last = page[-1].id if len(page) == PAGE else end
    if shard.count > 1 and not picked:
        page = [notification for notification in page if shard.holds(notification.originator_id)]
    cut = within_cases(page, PAGE_CASES)
    return (cut, cut[-1].id) if len(cut) < len(page) else (page, last)


def within_cases(page: list[Any], limit: int) -> list[Any]:
    """The page's events up to the last before the one naming its (`limit` + 1)th case."""
    cases: set[UUID] = set()
    for index, notification in enumerate(page):
        cases.add(notification.originator_id)
        if len(cases) > limit:
            return page[:index]
    return page


def open_rebuild(source_env: dict[str, str], target_env: dict[str, str]) -> tuple[Application, StatsProjection]:
    """The ledger whose store is read (`source_env`: its eventsourcing variables) and the view
    to fold it into, in the store of `target_env` (the same store, or a new one)."""
    source = open_ledger(LedgerSettings(), env=source_env)
    target = open_ledger(LedgerSettings(), env=target_env)
    return source, StatsProjection(stats_view(target), target.calendar)


@dataclass(frozen=True)
class Rebuilt:
    folded: int  # events folded
    peak_rss_mb: float  # the largest resident memory of a process of the rebuild


def rebuild_in_processes(source_env: dict[str, str], target_env: dict[str, str], processes: int) -> Rebuilt:
    """As `rebuild`, in `processes` new processes, each settled as a service is (one: in this
    process)."""
    source, projection = open_rebuild(source_env, target_env)  # the view's tables are made here, once
    end = source.recorder.max_notification_id() or 0
    if processes == 1:
        return Rebuilt(rebuild(source, projection, end=end), _peak_rss_mb())
    shards = [Shard(index, processes) for index in range(processes)]
    spawn = multiprocessing.get_context("spawn")  # nothing of this process's stores is inherited
    with ProcessPoolExecutor(processes, mp_context=spawn) as pool:
        done = list(pool.map(_rebuild_shard, repeat(source_env), repeat(target_env), shards, repeat(end)))
    view = projection.view
    if end > (view.max_tracking_id(STATS_NAME) or 0):
        with view.batch(Tracking(STATS_NAME, end)):
            pass  # every shard is there
    return Rebuilt(sum(part.folded for part in done), max(part.peak_rss_mb for part in done))


def _rebuild_shard(source_env: dict[str, str], target_env: dict[str, str], shard: Shard, end: int) -> Rebuilt:
    source, projection = open_rebuild(source_env, target_env)
    heap.settle()
    return Rebuilt(rebuild(source, projection, shard=shard, end=end), _peak_rss_mb())


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

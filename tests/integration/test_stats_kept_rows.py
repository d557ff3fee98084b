"""The live stats view carries the rows of the open cases it wrote from batch to batch: a case's
decisions come in later batches than its opening, and are folded into its rows as written,
without reading them back. Whenever its follower goes on from the position recorded in the
store (taking the lead, or after another instance recorded further), the carried rows are let
go, since another instance may have written the view meanwhile."""

from __future__ import annotations

import contextlib
import uuid

from eventsourcing.persistence import Tracking

from onestep_ledger.adapters.stats_view import stats_view
from onestep_ledger.bootstrap import open_ledger
from onestep_ledger.settings import LedgerSettings
from onestep_ledger.stats_projection import STATS_NAME, StatsProjection
from onestep_runtime.follower import ViewFollower

from ..scenarios import decided_envelope, submitted_envelope
from .test_follower_waits import eventually, running

ROUTE = ["market-regulation", "fire-rescue"]


def ledger_with_a_case(store_env, *, decision_first: bool = False):
    """A ledger that recorded a case's opening, then its two decisions, in three polls (or the
    first decision before the application); and the case's domain events of each poll, as the
    stats view's follower hands them over."""
    ledger = open_ledger(LedgerSettings(), env=store_env)
    case_id = uuid.uuid4()
    polls = [
        ("applications", [submitted_envelope(case_id, ROUTE)]),
        ("decisions", [decided_envelope(case_id, "market-regulation")]),
        ("decisions", [decided_envelope(case_id, "fire-rescue")]),
    ]
    if decision_first:
        polls[:2] = polls[1::-1]
    batches, start, offsets = [], 1, {}
    for topic, envelopes in polls:
        offsets[topic] = offset = offsets.get(topic, -1) + 1
        assert ledger.apply_batch(topic, 0, envelopes, offset)
        last = ledger.recorder.max_notification_id()
        stored = ledger.recorder.select_notifications(start, last - start + 1)
        batches.append(([ledger.mapper.to_domain_event(n) for n in stored], last))
        start = last + 1
    return ledger, str(case_id), batches


class CountsReads:
    """Counts the view's reads (each a lookup of rows in the store)."""

    def __init__(self, projection: StatsProjection):
        self.count = 0
        reading = projection.view.reading

        @contextlib.contextmanager
        def counted():
            self.count += 1
            with reading() as statements:
                yield statements

        projection.view.reading = counted


def case_row(projection: StatsProjection, case_id: str) -> dict:
    [row] = projection.view.read("SELECT * FROM stats_cases WHERE case_id = :case_id", {"case_id": case_id})
    return row


def folded_batch_by_batch(store_env, **case) -> tuple[StatsProjection, CountsReads, str]:
    """A case's batches folded one by one, as the live view's follower hands them over."""
    ledger, case_id, batches = ledger_with_a_case(store_env, **case)
    projection = StatsProjection(stats_view(ledger), ledger.calendar)
    reads = CountsReads(projection)
    for events, last in batches:
        projection.apply(events, last)
    return projection, reads, case_id


def approved_with_every_task(projection: StatsProjection, case_id: str) -> bool:
    tasks = projection.view.read("SELECT * FROM stats_tasks WHERE case_id = :case_id", {"case_id": case_id})
    statuses = {(task["department"], task["status"]) for task in tasks}
    return case_row(projection, case_id)["status"] == "approved" and statuses == {(d, "approved") for d in ROUTE}


def test_a_case_decided_in_later_batches_is_folded_into_its_rows_as_written_without_reading_them(store_env):
    projection, reads, case_id = folded_batch_by_batch(store_env)
    assert reads.count == 0
    assert approved_with_every_task(projection, case_id)
    assert case_id not in projection.kept._cases  # an approved case is not carried further


def test_a_case_whose_decision_came_before_its_application_begins_its_rows_with_the_application(store_env):
    projection, reads, case_id = folded_batch_by_batch(store_env, decision_first=True)
    assert reads.count == 0
    assert approved_with_every_task(projection, case_id)


def test_rows_another_instance_may_have_written_are_read_again_once_the_carried_ones_are_let_go(store_env):
    ledger, case_id, batches = ledger_with_a_case(store_env)
    projection = StatsProjection(stats_view(ledger), ledger.calendar)
    reads = CountsReads(projection)
    (opening, opened_at), (_, first_at), (second_decision, second_at) = batches
    projection.apply(opening, opened_at)
    # Another instance follows the log for a while and writes the case's row (here only its
    # count of procedures, as a supplement it folded would).
    with projection.view.batch(Tracking(STATS_NAME, first_at)) as sql:
        sql.run("UPDATE stats_cases SET procedures = 2 WHERE case_id = :case_id", {"case_id": case_id})

    projection.forget()  # as its follower does, going on from the position recorded
    projection.apply(second_decision, second_at)

    assert reads.count == 1
    row = case_row(projection, case_id)
    assert row["procedures"] == 2  # what the other instance wrote, not the row carried
    assert row["last_decided_at"] is not None


async def test_a_view_s_follower_lets_the_carried_rows_go_when_it_takes_the_lead(store_env):
    ledger, _, _ = ledger_with_a_case(store_env)
    projection = StatsProjection(stats_view(ledger), ledger.calendar)
    forgotten = []

    def forget() -> None:
        forgotten.append(projection.view.max_tracking_id(STATS_NAME))
        projection.forget()

    follower = ViewFollower(ledger, view=projection.view, name=STATS_NAME, apply=projection.apply, forget=forget)
    async with running(follower):
        await eventually(lambda: follower.position == ledger.recorder.max_notification_id())
    assert forgotten == [None]  # once, taking the lead, before the first batch

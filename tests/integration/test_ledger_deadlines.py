"""The ledger's timers on the real broker and store: a task past its due time gets its yellow
reminder and red overdue mark once, a supplement request that others do not join in time
goes out alone, and a restart fires nothing twice. The ledger's clock is moved by the test;
everything else (Kafka, SQLite, PostgreSQL) is real."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from onestep_contracts import topics
from onestep_ledger.domain.deadlines import minute_of

from ..kafka_probe import publish, read_all
from ..scenarios import accepted_envelope, decided_envelope, submitted_envelope
from .ledger_client import AUTH, case, running_ledger, wait_for


class MovableClock:
    """The time the ledger fires its timers by: the test's start, moved forward only by the
    test (with the real time, a minute's timers could fire before the test moves it)."""

    def __init__(self) -> None:
        self.started = datetime.now(UTC)
        self.ahead = timedelta()

    def __call__(self) -> datetime:
        return self.started + self.ahead


def published_types(kafka, case_id) -> list[str]:
    return [e.type for _, e in read_all(kafka.bootstrap_servers, topics.CASES) if e and e.subject == str(case_id)]


def timeline(ledger, case_id) -> list[str]:
    return [e["event"] for e in ledger.get(f"/v1/cases/{case_id}/timeline", headers=AUTH).json()["events"]]


def test_a_late_task_is_reminded_and_marked_overdue_once_and_a_fresh_one_is_not(kafka, store_env):
    group, clock = f"ledger-{uuid.uuid4().hex[:6]}", MovableClock()
    late, fresh = uuid.uuid4(), uuid.uuid4()
    a_week_ago = datetime.now(UTC) - timedelta(days=7)  # due four days ago: the ledger was down
    publish(
        kafka.bootstrap_servers,
        topics.APPLICATIONS,
        [
            submitted_envelope(late, ["market-regulation"], submitted_at=a_week_ago),
            submitted_envelope(fresh, ["market-regulation"]),
        ],
    )
    with running_ledger(kafka, store_env, group, clock=clock) as ledger:
        wait_for(lambda: case(ledger, late) and case(ledger, fresh))
        clock.ahead = timedelta(minutes=2)  # the minute the late timers were set in has passed

        overdue = wait_for(lambda: (c := case(ledger, late)) and c["departments"][0]["level"] == "red" and c)
        task = overdue["departments"][0]
        assert overdue["overdue"] == [
            {"department": "market-regulation", "task_id": task["task_id"], "due_at": task["due_at"]}
        ]
        assert wait_for(lambda: "onestep.task.unroutable" in (t := published_types(kafka, late)) and t) == [
            "onestep.case.opened",
            "onestep.task.reminder",
            "onestep.task.overdue",
            "onestep.task.unroutable",  # no gateway took it either (none runs in this test)
        ]
        assert case(ledger, fresh)["departments"][0]["level"] is None
        checks = ledger.get("/readyz").json()["checks"]
        assert checks["deadlines"]["detail"].startswith("timers fired up to")
        assert checks["statistics"]["ok"]
        assert "onestep_ledger_timer_events_total" in ledger.get("/metrics").text

    clock.ahead = timedelta(minutes=5)
    with running_ledger(kafka, store_env, group, clock=clock) as ledger:
        app = ledger.app.state.ledger.app
        wait_for(lambda: app.swept_until() >= minute_of(clock()) - 1)
        assert timeline(ledger, late) == ["Opened", "TaskReminded", "TaskOverdue", "TaskUnroutable"]
        assert timeline(ledger, fresh) == ["Opened"]


def test_a_supplement_request_goes_out_alone_when_the_window_closes(kafka, store_env):
    group, clock = f"ledger-{uuid.uuid4().hex[:6]}", MovableClock()
    case_id = uuid.uuid4()
    publish(
        kafka.bootstrap_servers,
        topics.APPLICATIONS,
        [submitted_envelope(case_id, ["market-regulation", "fire-rescue"])],
    )
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    publish(
        kafka.bootstrap_servers,
        topics.DECISIONS,
        [
            decided_envelope(
                case_id, "fire-rescue", "supplement_required", missing=["evacuation-plan"], decided_at=an_hour_ago
            )
        ],
    )
    with running_ledger(kafka, store_env, group, clock=clock) as ledger:
        waiting = wait_for(lambda: (c := case(ledger, case_id)) and c["version"] >= 2 and c)
        assert waiting["status"] == "in_review"  # market regulation has not decided: the notice waits
        clock.ahead = timedelta(minutes=2)
        notified = wait_for(lambda: (c := case(ledger, case_id)) and c["status"] == "supplement_required" and c)
        assert notified["supplement_notice"] == [
            {"department": "fire-rescue", "missing": ["evacuation-plan"], "reason": ""}
        ]
        assert notified["clock_stopped_at"] == (an_hour_ago + timedelta(minutes=30)).isoformat()
        assert wait_for(lambda: "onestep.case.supplement-requested" in published_types(kafka, case_id))


def test_a_task_no_gateway_accepts_is_reported_unroutable_until_one_does(kafka, store_env):
    group, clock = f"ledger-{uuid.uuid4().hex[:6]}", MovableClock()
    case_id, accepted_first = uuid.uuid4(), uuid.uuid4()
    # The gateway's acceptance of one case comes before the ledger has read its application.
    publish(kafka.bootstrap_servers, topics.DECISIONS, [accepted_envelope(accepted_first, "market-regulation")])
    twenty_minutes_ago = datetime.now(UTC) - timedelta(minutes=20)
    publish(
        kafka.bootstrap_servers,
        topics.APPLICATIONS,
        [
            submitted_envelope(case_id, ["market-regulation", "fire-rescue"], submitted_at=twenty_minutes_ago),
            submitted_envelope(accepted_first, ["market-regulation"], submitted_at=twenty_minutes_ago),
        ],
    )
    with running_ledger(kafka, store_env, group, clock=clock) as ledger:
        wait_for(lambda: case(ledger, case_id))
        publish(kafka.bootstrap_servers, topics.DECISIONS, [accepted_envelope(case_id, "market-regulation")])
        wait_for(lambda: (c := case(ledger, case_id)) and c["departments"][0]["accepted_by"])
        # A new group reads each partition's whole history: the first acceptance, on another
        # partition, may be applied after the later one. The clock moves once both are.
        wait_for(
            lambda: (c := case(ledger, accepted_first)) and c["departments"] and c["departments"][0]["accepted_by"]
        )
        clock.ahead = timedelta(minutes=2)  # the minute the overdue routing timers were set in has passed
        flagged = wait_for(lambda: (c := case(ledger, case_id)) and c["unroutable"] and c)
        fire = flagged["departments"][1]
        (reported,) = flagged["unroutable"]
        assert (reported["department"], reported["task_id"]) == ("fire-rescue", fire["task_id"])
        assert datetime.fromisoformat(reported["opened_at"]) == twenty_minutes_ago
        assert (fire["unroutable"], fire["status"]) == (True, "pending")
        assert wait_for(lambda: "onestep.task.unroutable" in published_types(kafka, case_id))
        unroutable = [
            e.event
            for _, e in read_all(kafka.bootstrap_servers, topics.CASES)
            if e and e.subject == str(case_id) and e.type == "onestep.task.unroutable"
        ]
        assert [(e.department, e.region) for e in unroutable] == [("fire-rescue", "430102")]
        assert 'type="onestep.task.unroutable"' in ledger.get("/metrics").text
        held = case(ledger, accepted_first)
        assert (held["unroutable"], held["departments"][0]["accepted_by"]) == (
            [],
            ["department-gateway.market-regulation"],
        )

        # A gateway for the region is deployed, reads the task and takes it.
        publish(kafka.bootstrap_servers, topics.DECISIONS, [accepted_envelope(case_id, "fire-rescue")])
        cleared = wait_for(lambda: (c := case(ledger, case_id)) and not c["unroutable"] and c)
        assert cleared["departments"][1]["accepted_by"] == ["department-gateway.fire-rescue"]
        assert timeline(ledger, case_id) == ["Opened", "TaskAccepted", "TaskUnroutable", "TaskAccepted"]
        # The ledger reads both topics at once: the acceptance waited for the application, or came after it.
        assert timeline(ledger, accepted_first) in (
            ["AcceptanceArrivedFirst", "ApplicationArrived", "TaskAccepted"],
            ["Opened", "TaskAccepted"],
        )


def test_a_batch_that_meets_a_concurrent_write_is_applied_again_not_skipped(store_env):
    """Two ledger instances on one store: one fires a case's timers while the other applies a
    decision to the same case. The loser's batch is not mistaken for one already applied."""
    from onestep_contracts.calendar import WorkingCalendar
    from onestep_ledger.application import CaseLedger
    from onestep_ledger.domain.case_rules import Timing
    from onestep_runtime.consumer import ConcurrentWrite

    case_id, clock = uuid.uuid4(), MovableClock()
    timing = Timing(WorkingCalendar())
    applying = CaseLedger(env=store_env, timing=timing, clock=clock)
    sweeping = CaseLedger(env=store_env, timing=timing, clock=clock)
    a_week_ago = datetime.now(UTC) - timedelta(days=7)
    applying.apply_batch(
        "applications", 0, [submitted_envelope(case_id, ["market-regulation"], submitted_at=a_week_ago)], 0
    )
    decision = [decided_envelope(case_id, "market-regulation")]

    class SweptMeanwhile(CaseLedger):
        name = CaseLedger.name  # the same tables (PostgreSQL names them after the application)

        def finish_batch(self, processing):
            super().finish_batch(processing)
            clock.ahead = timedelta(minutes=2)
            assert sweeping.sweep(clock()) == 3  # the reminder, the overdue mark and unroutable, saved first

    racing = SweptMeanwhile(env=store_env, timing=timing, clock=clock)
    with pytest.raises(ConcurrentWrite):
        racing.apply_batch("decisions", 0, decision, 0)
    assert racing.stored_position("decisions", 0) is None
    # `applying` kept the case in memory as it wrote it, before the sweep: its save finds it stale.
    with pytest.raises(ConcurrentWrite):
        applying.apply_batch("decisions", 0, decision, 0)
    assert applying.apply_batch("decisions", 0, decision, 0)  # the consumer's retry, from the store
    events = timeline_of(applying, case_id)
    assert events == ["Opened", "TaskReminded", "TaskOverdue", "TaskUnroutable", "DepartmentDecided", "Approved"]
    assert applying.apply_batch("decisions", 0, decision, 0) is False  # and now it was applied


def test_a_batch_applied_again_after_a_concurrent_write_schedules_the_timers_it_brings(store_env):
    """A ledger remembers each case's timers at the version it last wrote. A batch that met a
    concurrent write is applied again on the store's version of the case, which has the same
    version number but other timers: what the failed attempt worked out must not be taken for
    it, or the supplement window its decision opens is never scheduled."""
    from onestep_contracts.calendar import WorkingCalendar
    from onestep_ledger.application import CaseLedger
    from onestep_ledger.domain.case_rules import Timing
    from onestep_runtime.consumer import ConcurrentWrite

    case_id, clock = uuid.uuid4(), MovableClock()
    timing = Timing(WorkingCalendar())
    applying = CaseLedger(env=store_env, timing=timing, clock=clock)
    other = CaseLedger(env=store_env, timing=timing, clock=clock)  # another instance, same store
    departments = ["market-regulation", "fire-rescue", "urban-management"]
    applying.apply_batch("applications", 0, [submitted_envelope(case_id, departments)], 0)
    # The other instance records a decision on the case as stored; `applying` still keeps it as it wrote it.
    assert other.apply_batch("decisions", 1, [decided_envelope(case_id, "urban-management")], 0)
    asked = decided_envelope(case_id, "fire-rescue", "supplement_required", missing=["evacuation-plan"])
    with pytest.raises(ConcurrentWrite):
        applying.apply_batch("decisions", 0, [asked], 0)
    assert applying.apply_batch("decisions", 0, [asked], 0)  # the consumer's retry, from the store

    clock.ahead = timedelta(minutes=31)  # past the supplement window
    applying.sweep(clock())
    events = timeline_of(applying, case_id)
    assert "SupplementRequested" in events, events


def test_instances_applying_their_own_partitions_never_race_on_the_deadline_index(store_env):
    """Two ledger instances apply batches of the partitions each owns in the same minute, each
    keeping what it wrote. Their timers go to their own partitions' shards of the minute, so no
    save fails (with one index per minute, the first instance's next batch failed on the
    version the other had written); the watcher fires the timers of both."""
    from onestep_contracts.calendar import WorkingCalendar
    from onestep_ledger.application import CaseLedger
    from onestep_ledger.domain.case_rules import Timing
    from onestep_ledger.domain.deadlines import Deadlines

    clock, timing = MovableClock(), Timing(WorkingCalendar())
    one = CaseLedger(env=store_env, timing=timing, clock=clock)
    two = CaseLedger(env=store_env, timing=timing, clock=clock)
    a_week_ago = datetime.now(UTC) - timedelta(days=7)  # due long ago: the timers fall in this minute
    late = [uuid.uuid4() for _ in range(3)]
    submitted = [submitted_envelope(case_id, ["market-regulation"], submitted_at=a_week_ago) for case_id in late]
    now = minute_of(clock())

    assert one.apply_batch("applications", 0, [submitted[0]], 0)
    assert two.apply_batch("applications", 1, [submitted[1]], 0)
    assert one.apply_batch("applications", 0, [submitted[2]], 1)  # no ConcurrentWrite
    shards = {
        shard: {timer["case_id"] for timer in Deadlines.timers_in(one.repository.event_store.get(shard_id))}
        for shard, shard_id in ((0, Deadlines.create_id(now, 0)), (1, Deadlines.create_id(now, 1)))
    }
    assert shards == {0: {str(late[0]), str(late[2])}, 1: {str(late[1])}}
    assert Deadlines.create_id(now) in Deadlines.ids_of(now)  # a minute indexed before shards is still read

    clock.ahead = timedelta(minutes=2)
    two.sweep(clock())
    for case_id in late:
        events = timeline_of(one, case_id)
        assert events[:3] == ["Opened", "TaskReminded", "TaskOverdue"], events


def test_the_index_wakes_a_case_at_its_next_timer_and_a_case_that_ended_is_not_read_back(store_env):
    """A case is indexed at its earliest timer, not at each of them. Woken, it fires what is
    due and is indexed at its next timer; a case that ended cancels its wake-up, so the
    watcher does not read it back from the store."""
    from onestep_contracts.calendar import WorkingCalendar
    from onestep_ledger.application import CaseLedger
    from onestep_ledger.domain.case_rules import Timing

    clock, timing = MovableClock(), Timing(WorkingCalendar())
    ledger = CaseLedger(env=store_env, timing=timing, clock=clock)
    departments = ["market-regulation", "fire-rescue", "urban-management"]
    open_case, decided_case = uuid.uuid4(), uuid.uuid4()
    ledger.apply_batch(
        "applications",
        0,
        [submitted_envelope(open_case, departments[:1]), submitted_envelope(decided_case, departments)],
        0,
    )
    routing_minute = minute_of(clock() + timing.routing_window)
    wake_ups = every_wake_up(ledger, minute_of(clock()), routing_minute + 1)
    assert sorted(w["case_id"] for w in wake_ups) == sorted([str(open_case), str(decided_case)])  # 4 tasks, 12 timers
    assert {w["kind"] for w in wake_ups} == {"unroutable"}  # the earliest: ten minutes after opening

    ledger.apply_batch("decisions", 0, [accepted_envelope(open_case, "market-regulation")], 0)
    ledger.apply_batch("decisions", 0, [decided_envelope(decided_case, d) for d in departments], 1)
    assert {
        w["kind"] for w in every_wake_up(ledger, routing_minute, routing_minute) if w["case_id"] == str(decided_case)
    } == {
        "unroutable",
        "cancelled",
    }

    class Sweeping(CaseLedger):
        name = CaseLedger.name  # the same tables (PostgreSQL names them after the application)
        read_back: list[uuid.UUID] = []

        def _stored(self, aggregate_id):
            self.read_back.append(aggregate_id)
            return super()._stored(aggregate_id)

    sweeping = Sweeping(env=store_env, timing=timing, clock=clock)  # another instance: nothing in memory
    clock.ahead = timedelta(days=8)  # past the open task's reminder and due time
    while sweeping.swept_until() < minute_of(clock()) - 1:
        sweeping.sweep(clock())
    assert timeline_of(ledger, open_case) == ["Opened", "TaskAccepted", "TaskReminded", "TaskOverdue"]
    assert timeline_of(ledger, decided_case)[-1] == "Approved"
    assert open_case in sweeping.read_back and decided_case not in sweeping.read_back
    woken_later = {w["case_id"] for w in every_wake_up(ledger, routing_minute + 1, minute_of(clock()))}
    assert woken_later == {str(open_case)}


def test_a_minute_indexed_with_every_timer_of_its_cases_wakes_each_case_once(store_env):
    """Before wake-ups the index held each timer: a minute written then fires each timer once."""
    from onestep_contracts.calendar import WorkingCalendar
    from onestep_ledger.application import CaseLedger
    from onestep_ledger.domain.case_rules import Timing
    from onestep_ledger.domain.deadlines import Deadlines

    clock, timing = MovableClock(), Timing(WorkingCalendar())
    ledger = CaseLedger(env=store_env, timing=timing, clock=clock)
    late = uuid.uuid4()
    a_week_ago = datetime.now(UTC) - timedelta(days=7)
    ledger.apply_batch("applications", 0, [submitted_envelope(late, ["market-regulation"], submitted_at=a_week_ago)], 0)
    case = ledger.repository.get(late)
    now = minute_of(clock())
    index = Deadlines(now, 5)
    index.schedule([{**timer, "case_id": str(late)} for timer in case.timers(timing)])
    ledger.save(index)

    clock.ahead = timedelta(minutes=2)
    assert ledger.sweep(clock()) == 3
    assert timeline_of(ledger, late) == ["Opened", "TaskReminded", "TaskOverdue", "TaskUnroutable"]


def timeline_of(ledger, case_id) -> list[str]:
    return [type(e).__name__ for e in ledger.repository.event_store.get(case_id)]


def every_wake_up(ledger, first_minute: int, last_minute: int) -> list[dict]:
    return [wake_up for minute in range(first_minute, last_minute + 1) for wake_up in ledger.wake_ups(minute)]


async def test_of_two_ledger_instances_on_one_store_one_watches_the_deadlines_until_it_stops(store_env):
    """The instance holding the watcher's lease sweeps; the other stands by, and sweeps once
    the first has stopped (without the lease both swept every minute, one failing each time)."""
    import asyncio
    import time

    from onestep_contracts.calendar import WorkingCalendar
    from onestep_ledger.application import CaseLedger
    from onestep_ledger.deadline_watcher import DeadlineWatcher
    from onestep_ledger.domain.case_rules import Timing

    class CountingSweeps(CaseLedger):
        sweeps = 0

        def sweep(self, *args, **kwargs):
            self.sweeps += 1
            return super().sweep(*args, **kwargs)

    async def eventually(condition) -> None:
        deadline = time.monotonic() + 30
        while not condition():
            assert time.monotonic() < deadline, "not within the time allowed"
            await asyncio.sleep(0.05)

    timing = Timing(WorkingCalendar())
    ledgers = [CountingSweeps(env=store_env, timing=timing, clock=MovableClock()) for _ in range(2)]
    watchers = [DeadlineWatcher(ledger, interval_s=0.05, on_fired=lambda: None) for ledger in ledgers]
    running = [asyncio.create_task(watcher.run()) for watcher in watchers]
    await eventually(lambda: sum(ledger.sweeps for ledger in ledgers) >= 10)
    (sweeping,) = [n for n, ledger in enumerate(ledgers) if ledger.sweeps]
    standing_by = 1 - sweeping

    watchers[sweeping].stop()
    await running[sweeping]
    await eventually(lambda: ledgers[standing_by].sweeps >= 3)
    watchers[standing_by].stop()
    await running[standing_by]

"""`GET /v1/stats` on the real broker and store: the reform's figures computed from the cases
the ledger recorded, filtered by item, region, department and period, and not counted twice
after a restart."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from onestep_contracts import Baseline, topics
from onestep_ledger import replay
from onestep_ledger.adapters.stats_view import stats_view
from onestep_ledger.replay import Shard, open_rebuild, rebuild, rebuild_in_processes
from onestep_ledger.stats_projection import StatsProjection

from ..kafka_probe import publish
from ..scenarios import decided_envelope, submitted_envelope
from .ledger_client import AUTH, case, running_ledger, wait_for

BASELINE = Baseline(procedures=5, documents=20, days=30, visits=5)


class Week:
    """The topic holds every test's cases: this test's fall in a week of their own (before the
    calendar's listed holidays, so every weekday works), and every query is for that week."""

    def __init__(self) -> None:
        self.monday = datetime.fromisoformat("2025-12-29T09:00:00+08:00") - timedelta(weeks=random.randrange(1, 2000))

    def day(self, n: float) -> datetime:
        return self.monday + timedelta(days=n)

    def date(self, n: int) -> str:
        return self.day(n).date().isoformat()


def stats(ledger, week: Week, **query) -> dict:
    response = ledger.get("/v1/stats", params={"since": week.date(0), "until": week.date(6), **query}, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def statistics_caught_up(ledger) -> None:
    """Waits until the statistics have followed the ledger's log past what it held when asked
    (the log goes on growing: a new ledger reads every earlier test's cases, and fires their timers)."""
    ledger_parts = ledger.app.state.ledger
    last = ledger_parts.app.recorder.max_notification_id()
    try:
        wait_for(lambda: (ledger_parts.stats.view.max_tracking_id("stats") or 0) >= last, timeout_s=240)
    except AssertionError:
        stats_at = ledger_parts.stats.view.max_tracking_id("stats")
        raise AssertionError(f"statistics at {stats_at} of {last}; relay at {ledger_parts.relay.position}") from None


def test_the_reform_figures_come_from_the_recorded_cases(kafka, store_env, request, tmp_path, monkeypatch):
    week = Week()
    days = week.day
    approved, rejected, open_elsewhere = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    restaurant = ["market-regulation", "fire-rescue"]
    publish(
        kafka.bootstrap_servers,
        topics.APPLICATIONS,
        [
            # accepted in district 430103 for 430102: an inter-region case
            submitted_envelope(approved, restaurant, submitted_at=week.monday, baseline=BASELINE),
            submitted_envelope(
                rejected, restaurant, submitted_at=week.monday, baseline=BASELINE, accepted_region="430102"
            ),
            submitted_envelope(
                open_elsewhere,
                ["market-regulation"],
                submitted_at=days(3),
                item="open-convenience-store",
                region="430202",
                accepted_region="430202",
                baseline=Baseline(procedures=3, documents=10, days=20, visits=3),
            ),
        ],
    )
    publish(
        kafka.bootstrap_servers,
        topics.DECISIONS,
        [
            decided_envelope(approved, "market-regulation", decided_at=days(2)),  # due at days(3): on time
            decided_envelope(approved, "fire-rescue", decided_at=days(4)),  # late
            decided_envelope(rejected, "market-regulation", "rejected", "no lease", decided_at=days(1)),
        ],
    )
    group = f"ledger-{uuid.uuid4().hex[:6]}"
    with running_ledger(kafka, store_env, group) as ledger:
        wait_for(lambda: (c := case(ledger, approved)) and c["status"] == "approved")
        wait_for(lambda: (c := case(ledger, rejected)) and c["status"] == "rejected")
        wait_for(lambda: case(ledger, open_elsewhere))
        statistics_caught_up(ledger)
        everything = stats(ledger, week)
        assert everything["cases"] == {
            "total": 3,
            "by_state": {"approved": 1, "rejected": 1, "submitted": 1},
            "by_item": {"open-convenience-store": 1, "open-restaurant": 2},
            "by_region": {"430102": 2, "430202": 1},
            "inter_region": 1,
        }
        assert everything["procedures"] == {"per_case": 1.0, "baseline_per_case": 4.333, "cut": 0.769}
        assert everything["documents"] == {"per_case": 3.0, "baseline_per_case": 16.667, "cut": 0.82}
        # four working days (Mon 09:00 to Fri 09:00) and one, against 30 days before the reform
        assert everything["time"] == {
            "decided_cases": 2,
            "within_promise": 2,
            "working_days": {"per_case": 2.5, "baseline_per_case": 30.0, "cut": 0.917},
            "promised_days_per_case": 5.0,
        }
        assert everything["departments"] == [
            {
                "department": "fire-rescue",
                "cases": 2,
                "decided": 1,
                "on_time": 0,
                "on_time_rate": 0.0,
                "open_overdue": 0,
            },
            {
                "department": "market-regulation",
                "cases": 3,
                "decided": 2,
                "on_time": 2,
                "on_time_rate": 1.0,
                "open_overdue": 1,
            },
        ]

        city = stats(ledger, week, region="4301")
        assert city["cases"]["total"] == 2 and city["filters"]["region"] == "4301"
        assert stats(ledger, week, item="open-convenience-store")["cases"]["by_state"] == {"submitted": 1}
        fire = stats(ledger, week, department="fire-rescue")
        assert fire["cases"]["total"] == 2
        assert [d["department"] for d in fire["departments"]] == ["fire-rescue"]
        assert stats(ledger, week, since=week.date(1))["cases"]["total"] == 1
        assert stats(ledger, week, since=week.date(-7), until=week.date(-1))["cases"] == {
            "total": 0,
            "by_state": {},
            "by_item": {},
            "by_region": {},
            "inter_region": 0,
        }

        bad = ledger.get("/v1/stats", params={"region": "43x", "since": "soon"}, headers=AUTH)
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
        assert {error["pointer"] for error in bad.json()["errors"]} == {"query/region", "query/since"}
        backwards = ledger.get("/v1/stats", params={"since": "2026-12-01", "until": "2026-11-01"}, headers=AUTH)
        assert backwards.status_code == 422
        assert ledger.get("/v1/stats").status_code == 401

    with running_ledger(kafka, store_env, group) as ledger:  # resumes from the stored position
        statistics_caught_up(ledger)
        assert stats(ledger, week)["cases"] == everything["cases"]
        assert stats(ledger, week)["departments"] == everything["departments"]

    # Rebuilt from the store into a fresh one, the read model is the one the ledger kept. In
    # pages of 7 events naming 2 cases at most, so that cases span pages (their rows carried
    # from page to page) and pages end early.
    monkeypatch.setattr(replay, "PAGE", 7)
    monkeypatch.setattr(replay, "PAGE_CASES", 2)

    def fresh_store(name: str) -> dict[str, str]:
        if store_env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
            return {**store_env, "SQLITE_DBNAME": str(tmp_path / f"{name}.sqlite")}
        cluster = request.getfixturevalue("postgres")
        cluster.create_database(database := f"{name}_{uuid.uuid4().hex[:10]}")
        return {**store_env, **cluster.eventsourcing_env(database)}

    source, rebuilt = open_rebuild(store_env, fresh_store("rebuilt"))
    assert rebuild(source, rebuilt) > 0
    if store_env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":  # its statistics gathered as it filled
        analyzed = "SELECT last_analyze IS NOT NULL AS done FROM pg_stat_user_tables WHERE relname = 'stats_tasks'"
        assert rebuilt.view.read(analyzed, {}) == [{"done": True}]
    end = source.recorder.max_notification_id()
    assert rebuilt.view.max_tracking_id("stats") == end
    kept = StatsProjection(stats_view(source), source.calendar)
    rebuild(source, kept)  # what the ledger had not followed yet when it stopped (timers it fired)

    def rows(projection: StatsProjection) -> list[list[dict]]:
        return [
            projection.view.read(f"SELECT * FROM {table} ORDER BY {order}", {})
            for table, order in (("stats_cases", "case_id"), ("stats_tasks", "case_id, department, round"))
        ]

    assert rows(rebuilt) == rows(kept)
    assert rebuild(source, rebuilt) == 0  # it goes on from where it stopped

    # In shards, as the processes of a parallel rebuild fold it: each its own cases, together all
    # of them, each shard's position its own; then the same by two processes of their own.
    _, sharded = open_rebuild(store_env, fresh_store("sharded"))
    folded = [rebuild(source, sharded, shard=Shard(index, 2), end=end) for index in (0, 1)]
    assert sum(folded) > 0 and rows(sharded) == rows(kept)
    assert [sharded.view.max_tracking_id(f"stats:{index}/2") for index in (0, 1)] == [end, end]
    in_processes = fresh_store("in_processes")
    assert rebuild_in_processes(store_env, in_processes, 2).folded == sum(folded)
    _, by_processes = open_rebuild(store_env, in_processes)
    assert rows(by_processes) == rows(kept) and by_processes.view.max_tracking_id("stats") == end
    assert rebuild_in_processes(store_env, in_processes, 2).folded == 0  # from where they stopped

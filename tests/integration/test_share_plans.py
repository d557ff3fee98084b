"""A rebuilding process reads its share of the ledger's log a page at a time, in the ids'
order, on PostgreSQL whatever the planner knows of the log. Right after a burst, before
autovacuum had gathered the log's statistics, the planner took the rest of the log for a couple
of thousand rows and read all of it, by a bitmap of the ids' index, for every page: a rebuild
then ran at about half its speed."""

from __future__ import annotations

import json
import uuid

from eventsourcing.persistence import StoredEvent

from onestep_ledger.bootstrap import open_ledger
from onestep_ledger.settings import LedgerSettings
from onestep_runtime.poll_recorders import SHARE_BY_INDEX

TOPICS = ["onestep:Case.Opened", "onestep:Case.Decided"]


def test_a_share_of_a_log_without_statistics_is_read_in_the_ids_order_and_stops_at_the_page(postgres):
    name = f"shares_{uuid.uuid4().hex[:10]}"
    postgres.create_database(name)
    ledger = open_ledger(LedgerSettings(), env=postgres.eventsourcing_env(name))
    try:
        recorder = ledger.recorder
        table = recorder.events_table_name
        with recorder.datastore.transaction(commit=True) as curs:  # no statistics gathered meanwhile
            curs.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        for _ in range(10):  # a burst: 20,000 events of 10,000 cases
            events = [
                StoredEvent(uuid.uuid4(), version, TOPICS[version - 1], b"{}")
                for _ in range(1000)
                for version in (1, 2)
            ]
            recorder.insert_events(events)
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(SHARE_BY_INDEX)
            curs.execute(
                b"EXPLAIN (FORMAT JSON) " + recorder._select_share_statement.as_bytes(curs),
                (10_001, 20_000, TOPICS, list("01234567"), 1_000),
            )
            [[plan]] = curs.fetchone().values()  # the JSON document: a list of one plan
        page = plan["Plan"]
        assert page["Node Type"] == "Limit"
        [read] = page["Plans"]
        assert read["Node Type"] == "Index Scan", json.dumps(plan)  # in order: it stops at the page's end
        assert read["Index Name"].endswith("notification_id_idx")
        share = recorder.select_share(10_001, 20_000, 1_000, TOPICS, list("01234567"))
        assert len(share) == 1_000 and [n.id for n in share] == sorted(n.id for n in share)
        assert {n.originator_id.hex[-1] for n in share} <= set("01234567")
    finally:
        ledger.close()

"""A rebuild's process reads its share of the ledger's log along the ids' index on PostgreSQL,
and makes a page's events from the server's rows a chunk at a time.
The share is an expression on the aggregate ids, whose selectivity the planner guesses far too
low: for a page from near the log's start it scanned the whole table in parallel workers and
sorted every match on disk (265 ms a page, where the index gives the page in 110)."""

from __future__ import annotations

import tracemalloc
import uuid

from eventsourcing.persistence import StoredEvent

from onestep_ledger.bootstrap import open_ledger
from onestep_ledger.replay import FOLDED_TOPICS, Shard
from onestep_ledger.settings import LedgerSettings

EVENTS = 3_000


def table_scans(recorder) -> dict[str, int]:
    """The log table's scans so far, as the server counts them: the connection's own are
    reported first (a server reports a connection's counts when it is next idle, or later)."""
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT seq_scan, idx_scan, n_tup_ins FROM pg_stat_user_tables WHERE relname = %s",
            [recorder.events_table_name],
        )
        return dict(cursor.fetchone())


def test_a_share_of_the_log_from_its_start_is_read_along_the_ids_index(postgres):
    name = f"shares_{uuid.uuid4().hex[:10]}"
    postgres.create_database(name)
    # One connection, whose counts are reported when asked (see table_scans).
    env = {**postgres.eventsourcing_env(name), "POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "0"}
    ledger = open_ledger(LedgerSettings(), env=env)
    recorder = ledger.recorder
    stored = [StoredEvent(uuid.uuid4(), 1, FOLDED_TOPICS[n % len(FOLDED_TOPICS)], b"{}") for n in range(EVENTS)]
    shard = Shard(0, 2)
    try:
        recorder.insert_events(stored)
        with recorder.datastore.transaction(commit=True) as cursor:  # the planner knows the table's size, as a log's
            cursor.execute(f"ANALYZE {recorder.events_table_name}")
        before = table_scans(recorder)
        assert before["n_tup_ins"] == EVENTS  # the counts so far are in

        page = recorder.select_share(1, EVENTS, 1_000, FOLDED_TOPICS, shard.id_ends)

        after = table_scans(recorder)
    finally:
        ledger.close()
    expected = [n + 1 for n, event in enumerate(stored) if shard.holds(event.originator_id)][:1_000]
    assert [notification.id for notification in page] == expected
    assert after["seq_scan"] == before["seq_scan"], "the page was read by a scan of the whole log"
    assert after["idx_scan"] > before["idx_scan"]  # the planner also looks into the index for the ids' range


def test_a_share_s_page_is_made_from_the_server_s_rows_a_chunk_at_a_time(postgres):
    """The rows of a page are turned into its events a chunk at a time (SHARE_CHUNK): read
    whole, the result and every row made from it were held together beside the page, most of a
    rebuild process's memory at its peak. Python's allocations while a page is read, beyond the
    page itself, tell: a row each time, not every row at once."""
    name = f"chunks_{uuid.uuid4().hex[:10]}"
    postgres.create_database(name)
    ledger = open_ledger(LedgerSettings(), env=postgres.eventsourcing_env(name))
    recorder = ledger.recorder
    state = bytes(1_000)
    stored = [StoredEvent(uuid.uuid4(), 1, FOLDED_TOPICS[0], state) for _ in range(EVENTS)]
    try:
        recorder.insert_events(stored)
        recorder.select_share(1, EVENTS, 10, FOLDED_TOPICS, Shard(0, 2).id_ends)  # statement and types made once
        tracemalloc.start()
        try:
            page = recorder.select_share(1, EVENTS, EVENTS, FOLDED_TOPICS, Shard(0, 2).id_ends)
            held, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        ledger.close()
    assert len(page) > EVENTS // 4  # a share of half the cases, in a page large enough to hold it
    # read whole: 280 kB beside a page of 2.1 MB (its rows); a chunk at a time: 9 kB
    assert peak - held < held / 50

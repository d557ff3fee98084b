"""A rebuild holds one page of the log at a time: a page of stored events is most of a rebuild
process's memory (on PostgreSQL, holding the last page while the next was read took a process
from 113 to 123 MB at the second page), so the one folded is let go before the next is read."""

from __future__ import annotations

import uuid
import weakref

from onestep_ledger import replay
from onestep_ledger.bootstrap import open_ledger
from onestep_ledger.replay import open_rebuild, rebuild
from onestep_ledger.settings import LedgerSettings
from onestep_runtime.projection import PartitionBatch

from ..scenarios import submitted_envelope

CASES = 12


def test_each_page_is_read_with_no_event_of_the_last_page_still_held(store_env, tmp_path, request, monkeypatch):
    ledger = open_ledger(LedgerSettings(), env=store_env)
    envelopes = [submitted_envelope(uuid.uuid4(), ["market-regulation"]) for _ in range(CASES)]
    ledger.apply_poll([PartitionBatch("applications", 0, envelopes, CASES - 1)])
    ledger.close()
    if store_env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        fresh = {**store_env, "SQLITE_DBNAME": str(tmp_path / "rebuilt.sqlite")}
    else:
        cluster = request.getfixturevalue("postgres")
        cluster.create_database(name := f"rebuilt_{uuid.uuid4().hex[:10]}")
        fresh = {**store_env, **cluster.eventsourcing_env(name)}
    source, rebuilt = open_rebuild(store_env, fresh)
    monkeypatch.setattr(replay, "PAGE", 5)

    read = source.recorder.select_share  # a share of all the cases, for a rebuild in one process
    earlier: list[weakref.ref] = []  # every event read so far
    held_at_each_read: list[int] = []

    def select_share(*args, **kwargs):
        held_at_each_read.append(sum(1 for event in earlier if event() is not None))
        page = read(*args, **kwargs)
        earlier.extend(weakref.ref(notification) for notification in page)
        return page

    monkeypatch.setattr(source.recorder, "select_share", select_share)
    assert rebuild(source, rebuilt) == CASES  # each case's opening folded (its timers are not read)
    assert len(held_at_each_read) == 3 and len(earlier) == CASES  # pages of 5, 5 and 2
    assert held_at_each_read == [0, 0, 0]

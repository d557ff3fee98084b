"""Instances that open a fresh SQLite store at the same moment all open it. Each finds the
store in SQLite's default journal mode and switches it to WAL; two switches at once are a
deadlock SQLite ends by failing one of them at once ("database is locked", without waiting
out the lock timeout). The failed one opens again and finds WAL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from onestep_runtime.sqlite_store import SQLiteStoreFactory

INSTANCES = 6
ROUNDS = 60  # the collision is a matter of timing (without the second open, 8 runs in 10 failed)


def journal_mode_seen_at_once(factories: list[SQLiteStoreFactory]) -> list[str]:
    together = threading.Barrier(len(factories), timeout=30)

    def journal_mode(factory: SQLiteStoreFactory) -> str:
        together.wait()
        with factory.datastore.transaction(commit=False) as c:
            c.execute("PRAGMA journal_mode")
            return c.fetchone()[0]

    with ThreadPoolExecutor(len(factories)) as pool:
        return list(pool.map(journal_mode, factories))


def test_instances_opening_a_fresh_store_at_once_all_open_it_in_wal_mode(tmp_path):
    for round_number in range(ROUNDS):
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / f"{round_number}.sqlite")}
        factories = [SQLiteStoreFactory(env) for _ in range(INSTANCES)]  # (no connection is open yet)
        assert journal_mode_seen_at_once(factories) == ["wal"] * INSTANCES, f"round {round_number}"
        for factory in factories:
            factory.close()

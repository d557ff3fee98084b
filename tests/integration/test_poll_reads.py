"""A consumer asks its store once per poll which of the poll's aggregates exist, instead of
reading each: most records start an aggregate, and each read found nothing. On SQLite and on
PostgreSQL: the answer is exact, a poll of new aggregates reads none of them one by one, and
an aggregate stored before (a repeat seen by an instance that never held it) is still found."""

from __future__ import annotations

import uuid

from onestep_contracts import task_id_for
from onestep_gateway.application import DepartmentTasks
from onestep_ledger.bootstrap import open_ledger
from onestep_ledger.settings import LedgerSettings

from ..scenarios import submitted_envelope

DEPARTMENT = "market-regulation"


class CountingReads(DepartmentTasks):
    """The gateway's application, counting its reads of single aggregates from the store."""

    name = DepartmentTasks.name  # the same tables on PostgreSQL (named after the application)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reads = 0

    def _stored(self, aggregate_id):
        self.reads += 1
        return super()._stored(aggregate_id)


def task_ids(cases) -> list[uuid.UUID]:
    return [uuid.UUID(task_id_for(case_id, DEPARTMENT)) for case_id in cases]


def test_the_store_tells_which_of_many_aggregates_it_holds(store_env):
    tasks = DepartmentTasks(env=store_env, department=DEPARTMENT)
    cases = [uuid.uuid4() for _ in range(3)]
    assert tasks.apply_batch("applications", 0, [submitted_envelope(c, [DEPARTMENT]) for c in cases], 0)
    decided = tasks.take(task_ids(cases)[0])
    decided.dispatch("desk")
    decided.decide({"outcome": "approved", "licences": [], "missing": [], "reason": "", "decided_by": "officer"})
    tasks.save(decided)  # versions 1 to 3: still one aggregate

    unknown = [uuid.uuid4() for _ in range(600)]  # more than one statement's worth on SQLite
    assert tasks.recorder.stored_among([*task_ids(cases), *unknown]) == set(task_ids(cases))
    assert tasks.recorder.stored_among(unknown) == set()


def test_a_poll_of_new_aggregates_reads_none_of_them_one_by_one(store_env):
    tasks = CountingReads(env=store_env, department=DEPARTMENT)
    cases = [uuid.uuid4() for _ in range(20)]
    assert tasks.apply_batch("applications", 0, [submitted_envelope(c, [DEPARTMENT]) for c in cases], 0)
    assert tasks.reads == 0
    assert [tasks.task(str(t)).status for t in task_ids(cases)] == ["received"] * 20


def test_a_repeat_seen_by_an_instance_that_never_held_the_aggregate_is_found_stored(store_env):
    case_id, other = uuid.uuid4(), uuid.uuid4()
    first = DepartmentTasks(env=store_env, department=DEPARTMENT)
    assert first.apply_batch("applications", 0, [submitted_envelope(case_id, [DEPARTMENT])], 0)

    # Republished to another partition (a relay's restart), read by a fresh instance along
    # with a new application: the stored task is read, not made again; the new one is made.
    fresh = CountingReads(env=store_env, department=DEPARTMENT)
    repeat = [submitted_envelope(case_id, [DEPARTMENT]), submitted_envelope(other, [DEPARTMENT])]
    assert fresh.apply_batch("applications", 1, repeat, 0)
    assert fresh.reads == 1
    [repeated, new] = [fresh.task(str(t)) for t in task_ids([case_id, other])]
    assert (repeated.version, new.version) == (1, 1)


def test_the_ledger_opens_new_cases_without_reading_them_and_files_a_repeat_on_the_stored_case(store_env):
    ledger = open_ledger(LedgerSettings(), env=store_env)
    departments = [DEPARTMENT]
    cases = [uuid.uuid4() for _ in range(5)]
    assert ledger.apply_batch("applications", 0, [submitted_envelope(c, departments) for c in cases], 0)
    assert {ledger.repository.get(c).status for c in cases} == {"submitted"}

    again = open_ledger(LedgerSettings(), env=store_env)  # nothing in its working set
    assert again.apply_batch("applications", 1, [submitted_envelope(cases[0], departments)], 0)
    assert again.repository.get(cases[0]).version == ledger.repository.get(cases[0]).version

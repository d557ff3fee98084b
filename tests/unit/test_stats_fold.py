"""The stats rows folded in memory from a case's events: a batch reads each row it touches
once and writes it once, so a case folded over several batches must come out as in one."""

from __future__ import annotations

import copy
from uuid import uuid4

from onestep_ledger.domain.case import Case
from onestep_ledger.stats_fold import StatsFold

from .case_scenarios import CALENDAR, application, decide, supplement


def a_case_with_a_supplement_round() -> list:
    """Market regulation asks for a lease, fire rescue approves, the lease comes, market approves."""
    case = Case.open(uuid4(), application("market", "fire"), "a1")
    decide(case, "market", "supplement_required", missing=["lease"], hours=1)
    decide(case, "fire", hours=2)
    case.supply(supplement("lease", hours=30), "s1", CALENDAR)
    decide(case, "market", event_id="market-again", hours=31)
    return case.collect_events()


def folded(batches: list[list]) -> tuple[dict, dict]:
    """Each batch folded into the rows the one before left, as the store would hand them back."""
    cases, tasks = {}, {}
    for events in batches:
        fold = StatsFold(CALENDAR, copy.deepcopy(cases), copy.deepcopy(tasks))
        for event in events:
            fold.fold(event)
        assert not fold.new_cases & fold.changed_cases and not fold.new_tasks & fold.changed_tasks
        cases.update({key: fold.cases[key] for key in fold.new_cases | fold.changed_cases})
        tasks.update({key: fold.tasks[key] for key in fold.new_tasks | fold.changed_tasks})
    return cases, tasks


def test_a_case_folds_to_its_answer_with_the_supplement_counted_and_the_paused_time_left_out():
    events = a_case_with_a_supplement_round()
    cases, tasks = folded([events])
    (row,) = cases.values()
    assert (row["status"], row["procedures"], row["documents"]) == ("approved", 2, 2)
    assert row["paused_s"] > 0 and row["elapsed_days"] is not None
    assert {(key[1], key[2]): (task["status"], task["on_time"]) for key, task in tasks.items()} == {
        ("market", 1): ("supplement_required", 1),
        ("fire", 1): ("approved", 1),
        ("market", 2): ("approved", 1),
    }


def test_a_case_folded_over_several_batches_comes_out_as_in_one():
    events = a_case_with_a_supplement_round()
    whole = folded([events])
    for size in (1, 2, 3):
        assert folded([events[start : start + size] for start in range(0, len(events), size)]) == whole


def test_a_withdrawn_case_cancels_its_open_tasks_and_a_repeated_application_changes_nothing():
    case = Case.open(uuid4(), application("market", "fire"), "a1")
    decide(case, "fire", hours=2)
    case.withdraw({"portal": "portal-a", "reason": "changed my mind"}, "w1")
    events = case.collect_events()
    cases, tasks = folded([events, events[:1]])
    (row,) = cases.values()
    assert row["status"] == "withdrawn" and row["procedures"] == 1
    assert sorted((key[1], task["status"]) for key, task in tasks.items()) == [
        ("fire", "approved"),
        ("market", "cancelled"),
    ]

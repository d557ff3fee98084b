"""The Case aggregate decides a case from its departments' decisions."""

from uuid import uuid4

from onestep_ledger.domain.case import Case

from .case_scenarios import CALENDAR, application, decide, decision, event_names


def test_a_case_is_approved_when_every_department_on_its_route_approved():
    case = Case.open(uuid4(), application("market", "fire"), "e1")
    decide(case, "market")
    assert case.status == "in_review"
    decide(case, "fire")
    assert case.status == "approved"
    assert [licence["department"] for licence in case.licences] == ["market", "fire"]


def test_one_rejection_rejects_the_case_and_cancels_the_other_open_tasks():
    case = Case.open(uuid4(), application("market", "fire", "urban"), "e1")
    decide(case, "urban")
    decide(case, "fire", "rejected", reason="no fire exits")
    assert case.status == "rejected"
    assert event_names(case)[-2:] == ["TaskCancelled", "Rejected"]
    assert case.departments["market"]["status"] == "cancelled"
    assert case.departments["urban"]["status"] == "approved"


def test_the_same_decision_delivered_twice_is_applied_once():
    case = Case.open(uuid4(), application("market", "fire"), "e1")
    decide(case, "market", event_id="e2")
    decide(case, "market", event_id="e2")
    assert event_names(case) == ["Opened", "DepartmentDecided"]


def test_a_decision_for_a_department_not_on_the_route_is_refused_and_shows_as_refused():
    case = Case.open(uuid4(), application("market"), "e1")
    decide(case, "tobacco")
    assert case.status == "submitted"
    assert event_names(case) == ["Opened", "DecisionRefused"]


def test_a_second_decision_for_the_same_task_is_refused():
    case = Case.open(uuid4(), application("market", "fire"), "e1")
    decide(case, "market")
    decide(case, "market", "rejected")
    assert case.departments["market"]["status"] == "approved"
    assert event_names(case)[-1] == "DecisionRefused"


def test_a_decision_that_arrives_before_its_application_waits_for_it():
    case_id = uuid4()
    opened = Case.open(case_id, application("market"), "a0")
    case = Case.await_application(case_id, decision(opened, "market"), "d1")
    assert case.status == "awaiting_application"
    case.file(application("market"), "a1", CALENDAR)
    assert case.status == "approved"
    assert event_names(case) == ["DecisionArrivedFirst", "ApplicationArrived", "DepartmentDecided", "Approved"]


def test_a_repeated_application_does_not_reopen_the_case():
    case = Case.open(uuid4(), application("market"), "a1")
    case.file(application("market"), "a1", CALENDAR)
    assert event_names(case) == ["Opened"]


def test_a_different_application_under_the_same_key_is_refused_and_the_first_stands():
    first = {**application("market"), "fingerprint": "aaa"}
    case = Case.open(uuid4(), first, "a1")
    case.file({**application("market", "fire"), "fingerprint": "bbb"}, "a2", CALENDAR)
    case.file({**application("market", "fire"), "fingerprint": "bbb"}, "a2", CALENDAR)
    assert event_names(case) == ["Opened", "ApplicationRefused"]
    assert list(case.departments) == ["market"]

"""The Case aggregate decides a case from its departments' decisions."""

from uuid import uuid4

from onestep_ledger.domain.case import Case


def application(*departments: str) -> dict:
    return {
        "portal": "portal-a",
        "item": "open-restaurant",
        "route": [
            {"department": d, "approvals": [f"{d}-approval"], "due_at": "2026-12-01T00:00:00Z"} for d in departments
        ],
    }


def decision(department: str, outcome: str = "approved", reason: str = "") -> dict:
    licences = [{"department": department, "approval": f"{department}-approval", "number": "N1"}]
    return {
        "department": department,
        "outcome": outcome,
        "reason": reason,
        "licences": licences if outcome == "approved" else [],
        "decided_at": "2026-11-28T10:00:00Z",
    }


def event_names(case: Case) -> list[str]:
    return [type(event).__name__ for event in case.collect_events()]


def test_a_case_is_approved_when_every_department_on_its_route_approved():
    case = Case.open(uuid4(), application("market", "fire"), "e1")
    case.record_decision(decision("market"), "e2")
    assert case.status == "in_review"
    case.record_decision(decision("fire"), "e3")
    assert case.status == "approved"
    assert [licence["department"] for licence in case.licences] == ["market", "fire"]


def test_one_rejection_rejects_the_case():
    case = Case.open(uuid4(), application("market", "fire"), "e1")
    case.record_decision(decision("fire", "rejected", "no fire exits"), "e2")
    assert case.status == "rejected"
    assert event_names(case)[-1] == "Rejected"


def test_the_same_decision_delivered_twice_is_applied_once():
    case = Case.open(uuid4(), application("market", "fire"), "e1")
    case.record_decision(decision("market"), "e2")
    case.record_decision(decision("market"), "e2")
    assert event_names(case) == ["Opened", "DepartmentDecided"]


def test_a_decision_for_a_department_not_on_the_route_is_refused_and_shows_as_refused():
    case = Case.open(uuid4(), application("market"), "e1")
    case.record_decision(decision("tobacco"), "e2")
    assert case.status == "submitted"
    assert event_names(case) == ["Opened", "DecisionRefused"]


def test_a_second_decision_by_the_same_department_is_refused():
    case = Case.open(uuid4(), application("market", "fire"), "e1")
    case.record_decision(decision("market"), "e2")
    case.record_decision(decision("market", "rejected"), "e3")
    assert case.departments["market"]["status"] == "approved"
    assert event_names(case)[-1] == "DecisionRefused"


def test_a_decision_that_arrives_before_its_application_waits_for_it():
    case_id = uuid4()
    case = Case.await_application(case_id, decision("market"), "d1")
    assert case.status == "awaiting_application"
    case.file(application("market"), "a1")
    assert case.status == "approved"
    assert event_names(case) == ["DecisionArrivedFirst", "ApplicationArrived", "DepartmentDecided", "Approved"]


def test_a_repeated_application_does_not_reopen_the_case():
    case = Case.open(uuid4(), application("market"), "a1")
    case.file(application("market"), "a1")
    assert event_names(case) == ["Opened"]


def test_a_different_application_under_the_same_key_is_refused_and_the_first_stands():
    first = {**application("market"), "fingerprint": "aaa"}
    case = Case.open(uuid4(), first, "a1")
    case.file({**application("market", "fire"), "fingerprint": "bbb"}, "a2")
    case.file({**application("market", "fire"), "fingerprint": "bbb"}, "a2")
    assert event_names(case) == ["Opened", "ApplicationRefused"]
    assert list(case.departments) == ["market"]

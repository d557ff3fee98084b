"""Scenarios of a case's life: dependent tasks, one merged supplement notice, the clock stopping
while the applicant answers, promised materials, withdrawal, and refused transitions."""

from datetime import datetime, timedelta
from uuid import uuid4

from onestep_ledger.domain.case import Case

from .case_scenarios import CALENDAR, application, at, decide, event_names, step, supplement


def newborn() -> Case:
    return Case.open(
        uuid4(),
        application(
            step("health"),
            step("public-security", "health-approval"),
            step("medical-security", "public-security-approval"),
            step("maternity-insurance", "health-approval"),
        ),
        "a1",
    )


def test_household_registration_opens_when_the_birth_certificate_is_issued_and_receives_it():
    case = newborn()
    assert case.departments["public-security"]["status"] == "waiting"
    decide(case, "health", hours=2)
    opened = [e for e in case.collect_events() if type(e).__name__ == "TaskOpened"]
    assert [e.department for e in opened] == ["public-security", "maternity-insurance"]
    assert opened[0].licences == [{"department": "health", "approval": "health-approval", "number": "N-health"}]
    assert opened[0].due_at == CALENDAR.add_working_days(datetime.fromisoformat(at(2)), 3).isoformat()
    assert case.departments["medical-security"]["status"] == "waiting"


def test_the_newborn_case_is_approved_after_its_dependency_chain():
    case = newborn()
    for department in ("health", "public-security", "maternity-insurance", "medical-security"):
        decide(case, department)
    assert case.status == "approved"
    assert len(case.licences) == 4


def test_a_decision_for_a_task_that_has_not_opened_is_refused():
    case = newborn()
    decide(case, "public-security")
    assert event_names(case)[-1] == "DecisionRefused"
    assert case.departments["public-security"]["status"] == "waiting"


def test_supplement_requests_wait_for_the_other_departments_and_go_out_as_one_notice():
    case = Case.open(uuid4(), application("market", "fire", "urban"), "a1")
    decide(case, "fire", "supplement_required", missing=["evacuation-plan"], hours=1)
    assert case.status == "in_review"  # urban and market have not answered yet
    decide(case, "market", "supplement_required", missing=["food-safety-plan", "evacuation-plan"], hours=2)
    decide(case, "urban", hours=3)
    names = event_names(case)
    assert names.count("SupplementRequested") == 1
    assert case.status == "supplement_required"
    assert case.notice == [
        {"department": "market", "missing": ["food-safety-plan", "evacuation-plan"], "reason": ""},
        {"department": "fire", "missing": ["evacuation-plan"], "reason": ""},
    ]


def test_the_clock_stops_while_the_applicant_answers_and_only_the_askers_review_again():
    case = Case.open(uuid4(), application("market", "fire"), "a1")
    decide(case, "market", hours=1)
    decide(case, "fire", "supplement_required", missing=["evacuation-plan"], hours=2)
    due_before = datetime.fromisoformat(case.due_at)
    first_task = case.departments["fire"]["task_id"]
    # Answered 48 hours later: Thursday 11:00, two working days of stopped clock.
    case.supply(supplement("evacuation-plan", hours=50), "s1", CALENDAR)
    assert datetime.fromisoformat(case.due_at) - due_before == timedelta(days=2)
    fire = case.departments["fire"]
    assert (fire["status"], fire["round"]) == ("pending", 2)
    assert fire["task_id"] != first_task
    assert case.departments["market"]["status"] == "approved"
    assert [m["code"] for m in case.materials] == ["premises-proof", "evacuation-plan"]
    decide(case, "fire", hours=51)
    assert case.status == "approved"


def test_a_late_decision_of_the_first_round_is_refused_after_a_supplement():
    case = Case.open(uuid4(), application("fire"), "a1")
    decide(case, "fire", "supplement_required", missing=["evacuation-plan"])
    stale = case.departments["fire"]["task_id"]
    case.supply(supplement("evacuation-plan", hours=5), "s1", CALENDAR)
    case.record_decision(
        {"department": "fire", "task_id": stale, "outcome": "approved", "decided_at": at(6)}, "late", CALENDAR
    )
    assert event_names(case)[-1] == "DecisionRefused"


def test_a_supplement_that_misses_something_asked_is_refused_and_the_clock_stays_stopped():
    case = Case.open(uuid4(), application("market", "fire"), "a1")
    decide(case, "market", "supplement_required", missing=["food-safety-plan"])
    decide(case, "fire", "supplement_required", missing=["evacuation-plan"])
    case.supply(supplement("evacuation-plan", hours=5), "s1", CALENDAR)
    assert event_names(case)[-1] == "SupplementRefused"
    assert case.status == "supplement_required"


def test_promised_materials_hold_the_approval_until_they_are_supplied():
    promise = {"code": "food-safety-plan", "by": "2026-12-20"}
    case = Case.open(uuid4(), application("market", promises=[promise]), "a1")
    decide(case, "market")
    assert case.status == "awaiting_promised_materials"
    case.supply(supplement("food-safety-plan", hours=30), "s1", CALENDAR)
    assert case.status == "approved"
    assert case.promises["food-safety-plan"]["supplied_at"] == at(30)


def test_withdrawal_cancels_the_open_tasks_and_later_decisions_are_refused():
    case = newborn()
    decide(case, "health")
    case.withdraw({"portal": "portal-a", "reason": "moved away"}, "w1")
    assert case.status == "withdrawn"
    cancelled = [e.department for e in case.collect_events() if type(e).__name__ == "TaskCancelled"]
    assert cancelled == ["public-security", "maternity-insurance"]
    assert case.departments["medical-security"]["status"] == "cancelled"
    decide(case, "public-security")
    assert event_names(case) == ["DecisionRefused"]


def test_a_decided_case_cannot_be_withdrawn_and_the_refusal_shows():
    case = Case.open(uuid4(), application("market"), "a1")
    decide(case, "market")
    case.withdraw({"portal": "portal-a"}, "w1")
    assert case.status == "approved"
    assert event_names(case)[-1] == "WithdrawalRefused"


def test_another_portal_cannot_withdraw_or_supplement_the_case():
    case = Case.open(uuid4(), application("market"), "a1")
    case.withdraw({"portal": "portal-b"}, "w1")
    case.supply(supplement("x", hours=1, portal="portal-b"), "s1", CALENDAR)
    assert event_names(case)[-2:] == ["WithdrawalRefused", "SupplementRefused"]
    assert case.status == "submitted"


def test_a_promised_material_given_while_a_notice_is_pending_is_kept_and_the_notice_stays():
    promise = {"code": "food-safety-plan", "by": "2026-12-20"}
    case = Case.open(uuid4(), application("market", "fire", promises=[promise]), "a1")
    decide(case, "market", hours=1)
    decide(case, "fire", "supplement_required", missing=["evacuation-plan"], hours=2)
    case.supply(supplement("food-safety-plan", hours=3), "s1", CALENDAR)
    assert event_names(case)[-1] == "SupplementProvided"
    assert case.status == "supplement_required" and case.clock_stopped_at == at(2)
    assert case.outstanding_promises == []
    case.supply(supplement("evacuation-plan", hours=4), "s2", CALENDAR)
    decide(case, "fire", hours=5)
    assert case.status == "approved"

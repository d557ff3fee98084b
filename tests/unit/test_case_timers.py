"""A case's timers: yellow reminders and red overdue marks of open tasks, tasks no gateway
accepted (unroutable), the supplement window that sends a notice without waiting for slow
departments, and missed promises.
Each fires once, and a timer the case no longer has (its task decided, its case ended) is stale."""

from datetime import datetime, timedelta
from uuid import uuid4

from onestep_ledger.domain.case import Case
from onestep_ledger.domain.case_rules import Timing

from .case_scenarios import CALENDAR, SUBMITTED, application, at, decide, event_names, step, supplement

TIMING = Timing(
    CALENDAR, reminder_lead_days=1, supplement_window=timedelta(minutes=30), routing_window=timedelta(minutes=10)
)


def timers_of(case: Case, kind: str) -> list[dict[str, str]]:
    return [timer for timer in case.timers(TIMING) if timer["kind"] == kind]


def test_an_open_task_is_reminded_a_working_day_before_it_is_due_and_marked_overdue_when_due():
    case = Case.open(uuid4(), application("market"), "a1")  # 3 working days from Tuesday 09:00
    reminder, overdue = timers_of(case, "reminder")[0], timers_of(case, "overdue")[0]
    assert datetime.fromisoformat(reminder["at"]) == SUBMITTED + timedelta(days=2)  # Thursday 09:00
    assert datetime.fromisoformat(overdue["at"]) == SUBMITTED + timedelta(days=3)  # Friday 09:00

    case.fire(reminder, TIMING)
    case.fire(reminder, TIMING)  # a sweep repeated after a crash
    case.fire(overdue, TIMING)
    reminded, late = [e for e in case.collect_events() if type(e).__name__ in ("TaskReminded", "TaskOverdue")]
    assert (reminded.department, reminded.level) == ("market", "yellow")
    assert (late.department, late.level, late.due_at) == ("market", "red", overdue["at"])
    assert case.departments["market"]["level"] == "red"
    assert timers_of(case, "reminder") == timers_of(case, "overdue") == []


def test_a_short_task_is_reminded_halfway():
    case = Case.open(uuid4(), application(step("civil-affairs", days=1)), "a1")
    assert datetime.fromisoformat(timers_of(case, "reminder")[0]["at"]) == SUBMITTED + timedelta(hours=12)


def test_a_reminder_over_a_weekend_counts_working_days():
    friday = SUBMITTED + timedelta(days=3)
    filed_on_friday = application(step("market", days=2))
    filed_on_friday["submitted_at"] = friday.isoformat()
    filed_on_friday["route"][0]["due_at"] = CALENDAR.add_working_days(friday, 2).isoformat()
    case = Case.open(uuid4(), filed_on_friday, "a1")
    # opened Friday 09:00, due Tuesday 09:00; one working day before is Monday 09:00
    assert datetime.fromisoformat(timers_of(case, "reminder")[0]["at"]) == friday + timedelta(days=3)


def test_timers_of_a_decided_task_are_stale_and_a_new_round_has_its_own():
    case = Case.open(uuid4(), application("market"), "a1")
    first_round = case.timers(TIMING)
    decide(case, "market", "supplement_required", missing=["lease"], hours=1)
    case.supply(supplement("lease", hours=5), "s1", CALENDAR)
    case.collect_events()
    for timer in first_round:
        case.fire(timer, TIMING)
    assert event_names(case) == []
    second_round = timers_of(case, "overdue")[0]
    assert second_round["subject"] == f"market/{case.departments['market']['task_id']}"
    assert datetime.fromisoformat(second_round["at"]) == CALENDAR.add_working_days(datetime.fromisoformat(at(5)), 3)


def test_a_supplement_request_goes_out_when_its_window_closes_without_waiting_for_slow_departments():
    case = Case.open(uuid4(), application("market", "fire", "urban"), "a1")
    decide(case, "fire", "supplement_required", missing=["evacuation-plan"], hours=1)
    decide(case, "urban", hours=1.2)
    (window,) = timers_of(case, "supplement-window")
    assert datetime.fromisoformat(window["at"]) == datetime.fromisoformat(at(1)) + timedelta(minutes=30)

    case.fire(window, TIMING)
    assert event_names(case)[-1] == "SupplementRequested"
    assert case.status == "supplement_required"
    assert case.clock_stopped_at == window["at"]
    assert case.notice == [{"department": "fire", "missing": ["evacuation-plan"], "reason": ""}]
    assert case.departments["market"]["status"] == "pending"  # market goes on reviewing meanwhile

    case.supply(supplement("evacuation-plan", hours=3), "s1", CALENDAR)
    assert case.departments["fire"]["status"] == "pending"  # fire reviews again
    decide(case, "market", hours=4)
    decide(case, "fire", hours=5)
    assert case.status == "approved"


def test_no_window_when_every_department_has_answered():
    case = Case.open(uuid4(), application("market", "fire"), "a1")
    decide(case, "fire", "supplement_required", missing=["evacuation-plan"], hours=1)
    decide(case, "market", hours=2)
    assert case.status == "supplement_required"
    assert timers_of(case, "supplement-window") == []


def test_a_missed_promise_is_recorded_once_the_day_has_ended_and_the_material_is_still_accepted():
    promise = {"code": "food-safety-plan", "by": "2026-12-03"}
    case = Case.open(uuid4(), application("market", promises=[promise]), "a1")
    decide(case, "market", hours=1)
    (missed,) = timers_of(case, "promise-missed")
    assert datetime.fromisoformat(missed["at"]) == datetime(2026, 12, 4, tzinfo=CALENDAR.zone)
    case.fire(missed, TIMING)
    assert event_names(case)[-1] == "PromiseMissed"
    assert case.promises["food-safety-plan"]["missed"] is True
    case.supply(supplement("food-safety-plan", hours=80), "s1", CALENDAR)
    assert case.status == "approved"


def test_an_ended_case_has_no_timers():
    case = Case.open(uuid4(), application("market", "fire"), "a1")
    overdue = timers_of(case, "overdue")[0]
    decide(case, "fire", "rejected", reason="no exits", hours=1)
    assert case.timers(TIMING) == []
    case.collect_events()
    case.fire(overdue, TIMING)
    assert event_names(case) == []


def accepted(case: Case, department: str, gateway: str = "department-gateway.market.4301") -> dict[str, object]:
    return {
        "department": department,
        "task_id": case.departments[department]["task_id"],
        "gateway": gateway,
        "regions": ["4301"],
        "accepted_at": at(0.01),
    }


def test_a_task_no_gateway_accepts_within_the_routing_window_is_reported_unroutable_until_one_does():
    case = Case.open(uuid4(), application("market", "fire"), "a1")
    case.acknowledge(accepted(case, "fire", "department-gateway.fire"), "ack-fire")
    (routing,) = timers_of(case, "unroutable")  # fire's gateway took its task; market's did not
    assert routing["subject"] == f"market/{case.departments['market']['task_id']}"
    assert datetime.fromisoformat(routing["at"]) == SUBMITTED + timedelta(minutes=10)
    case.collect_events()

    case.fire(routing, TIMING)
    case.fire(routing, TIMING)
    (unroutable,) = case.collect_events()
    assert (type(unroutable).__name__, unroutable.department, unroutable.region) == (
        "TaskUnroutable",
        "market",
        "430102",
    )
    assert case.departments["market"]["unroutable"] is True
    assert case.departments["market"]["status"] == "pending"  # still open: a gateway may come

    case.acknowledge(accepted(case, "market"), "ack-market")  # a gateway for 4301 was deployed
    assert case.departments["market"]["unroutable"] is False
    assert case.departments["market"]["accepted_by"] == ["department-gateway.market.4301"]
    decide(case, "market")
    decide(case, "fire")
    assert case.status == "approved"


def test_an_acceptance_before_the_application_waits_for_it_and_a_repeat_changes_nothing():
    plan = application("market")
    case_id = uuid4()
    opened = Case.open(case_id, plan, "a0")
    acceptance = accepted(opened, "market")

    case = Case.await_application_accepted(case_id, acceptance, "ack-1")
    case.acknowledge(acceptance, "ack-1")  # delivered twice before the application
    case.file(plan, "a1", CALENDAR)
    assert case.departments["market"]["accepted_by"] == ["department-gateway.market.4301"]
    assert timers_of(case, "unroutable") == []
    names = event_names(case)
    assert names == ["AcceptanceArrivedFirst", "ApplicationArrived", "TaskAccepted"]
    case.acknowledge(acceptance, "ack-1")
    case.acknowledge(acceptance, "ack-2")  # the same gateway again (a re-published event)
    assert event_names(case) == []


def test_a_new_round_must_be_accepted_again():
    case = Case.open(uuid4(), application("market"), "a1")
    case.acknowledge(accepted(case, "market"), "ack-1")
    stale = accepted(case, "market")
    decide(case, "market", "supplement_required", missing=["lease"], hours=1)
    case.supply(supplement("lease", hours=5), "s1", CALENDAR)
    assert case.departments["market"]["accepted_by"] == []
    (routing,) = timers_of(case, "unroutable")
    assert datetime.fromisoformat(routing["at"]) == datetime.fromisoformat(at(5)) + timedelta(minutes=10)
    case.collect_events()
    case.acknowledge(stale, "ack-old-round")  # the first round's task: not this one
    assert event_names(case) == []


def test_a_decision_that_names_its_gateway_is_the_tasks_acceptance_too():
    """A gateway whose adapter decides at once publishes the decision alone: it routes the
    task as an acceptance would, and clears an unroutable mark."""
    case = Case.open(uuid4(), application("market", "fire"), "a1")
    (routing, _) = timers_of(case, "unroutable")
    case.fire(routing, TIMING)
    department = routing["subject"].split("/")[0]
    assert case.departments[department]["unroutable"] is True
    decide(case, department, gateway=f"department-gateway.{department}")
    decide(case, department, event_id="again", gateway=f"department-gateway.{department}")  # a repeat
    assert case.departments[department]["accepted_by"] == [f"department-gateway.{department}"]
    assert case.departments[department]["unroutable"] is False
    other = "fire" if department == "market" else "market"
    decide(case, other)  # a decision that names no gateway (published before gateways did)
    assert case.departments[other]["accepted_by"] == []
    assert case.status == "approved"


def test_a_woken_case_fires_what_is_due_by_then_in_order_and_keeps_the_rest():
    case = Case.open(uuid4(), application("market", "fire"), "a1")
    case.acknowledge(accepted(case, "market"), "acc-1")  # fire's task stays unaccepted
    case.collect_events()

    case.fire_due(SUBMITTED + timedelta(days=2, minutes=1), TIMING)  # Thursday 09:01: the reminders are due
    assert event_names(case) == ["TaskReminded", "TaskReminded", "TaskUnroutable"]
    case.fire_due(SUBMITTED + timedelta(days=2, minutes=1), TIMING)  # woken again by a stale wake-up
    assert event_names(case) == []
    assert [timer["kind"] for timer in case.timers(TIMING)] == ["overdue", "overdue"]

"""A department's task as its gateway records it: received, handed to the adapter, decided
once, or cancelled because the case ended."""

from uuid import UUID, uuid4

from onestep_gateway.domain.task import DepartmentTask, decided_among


def task_values() -> dict:
    return {"task_id": str(uuid4()), "case_id": str(uuid4()), "department": "fire-rescue", "form": {"seats": 80}}


def names(task: DepartmentTask) -> list[str]:
    return [type(event).__name__ for event in task.collect_events()]


def test_a_task_is_dispatched_once_and_decided_once():
    task = DepartmentTask.receive(task_values())
    task.dispatch("rules")
    task.dispatch("rules")
    assert task.decide({"outcome": "approved", "decided_by": "rules"}) is None
    assert task.decide({"outcome": "rejected", "decided_by": "officer 7"}) == "the task is decided"
    assert names(task) == ["Received", "Dispatched", "Decided", "DecisionRefused"]
    assert task.decision["outcome"] == "approved"


def test_a_task_decided_at_once_is_one_event_and_never_open():
    values = task_values()
    task = DepartmentTask.decided_at_once(values, "rules", {"outcome": "rejected", "decided_by": "rules"})
    assert (task.status, task.dispatched_to, task.decision["outcome"]) == ("decided", "rules", "rejected")
    assert task.id == UUID(values["task_id"]) and not task.is_open
    task.cancel("the applicant withdrew")
    assert task.decide({"outcome": "approved", "decided_by": "officer 7"}) == "the task is decided"
    events = task.collect_events()
    assert [type(e).__name__ for e in events] == ["DecidedAtOnce", "DecisionRefused"]
    assert decided_among(events) == {task.id}


def test_a_task_decided_in_three_events_as_stores_written_before_hold_it_counts_as_decided_at_once_too():
    task = DepartmentTask.receive(task_values())
    task.dispatch("rules")
    task.decide({"outcome": "approved", "decided_by": "rules"})
    assert decided_among(task.collect_events()) == {task.id}


def test_a_cancelled_task_takes_no_decision_and_remembers_whether_the_adapter_had_it():
    task = DepartmentTask.receive(task_values())
    task.dispatch("http")
    task.cancel("market-regulation rejected the application")
    task.cancel("again")
    assert task.decide({"outcome": "approved", "decided_by": "department system"}) == "the task is cancelled"
    events = task.collect_events()
    assert [type(e).__name__ for e in events] == ["Received", "Dispatched", "Cancelled", "DecisionRefused"]
    assert events[2].was_dispatched is True


def test_a_decided_task_stays_decided_when_the_case_ends():
    task = DepartmentTask.receive(task_values())
    task.decide({"outcome": "approved", "decided_by": "rules"})
    task.cancel("the applicant withdrew")
    assert task.status == "decided"


def test_a_task_cancelled_before_it_was_read_is_never_open():
    values = task_values()
    task = DepartmentTask.cancelled_unseen(values["task_id"], values["case_id"], "the applicant withdrew")
    assert task.status == "cancelled" and not task.is_open
    task.dispatch("rules")
    assert names(task) == ["CancelledBeforeReceived"]


def test_an_officer_claims_a_task_and_another_cannot_decide_it():
    task = DepartmentTask.receive(task_values())
    task.dispatch("desk")
    assert task.claim("officer-li") is None
    assert task.claim("officer-li") is None  # claiming again changes nothing
    assert task.claim("officer-wang") == "the task is claimed by officer-li"
    assert task.decide({"outcome": "approved", "decided_by": "officer-wang"}, "officer-wang") == (
        "the task is claimed by officer-li"
    )
    assert task.decide({"outcome": "approved", "decided_by": "officer-li"}, "officer-li") is None
    assert names(task) == ["Received", "Dispatched", "Claimed", "DecisionRefused", "Decided"]


def test_only_a_parked_task_is_re_driven_and_it_goes_back_to_the_dispatcher():
    task = DepartmentTask.receive(task_values())
    assert task.redrive("officer-li") == "the task is received, not parked"
    task.park("400 from the department: unknown item")
    assert task.redrive("officer-li") is None
    assert (task.status, task.park_reason, task.is_open) == ("received", None, True)
    task.dispatch("http")
    assert task.redrive("officer-li") == "the task is dispatched, not parked"
    assert names(task) == ["Received", "Parked", "Redriven", "Dispatched"]

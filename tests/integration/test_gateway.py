"""department-gateway on the real broker and store (SQLite and PostgreSQL): it records each of
its department's tasks before handing it to the adapter, publishes each decision once from
that record, keeps tasks waiting while the department's system is down, and tells the
adapter of cancellations."""

from __future__ import annotations

import asyncio
import random
import re
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from onestep_contracts import deterministic_id, task_id_for, topics
from onestep_contracts.adapters import Decision, Task
from onestep_gateway.entrypoints.api import create_app
from onestep_gateway.settings import GatewaySettings

from ..kafka_probe import end_offsets, publish, read_all
from ..scenarios import cancelled_envelope, submitted_envelope
from .ledger_client import wait_for

REPO = Path(__file__).resolve().parents[2]


class DepartmentSystem:
    """An adapter as a department would ship one, for a system that answers later (like the
    desk or a department's own system): it takes tasks, can be down, and records cancellations."""

    name = "test-department-system"

    def __init__(self, *, down: bool = False, decides: bool = True):
        self.down = down
        self.decides = decides
        self.attempts: list[str] = []
        self.cancelled: list[tuple[str, str]] = []

    async def submit(self, task: Task) -> Decision | None:
        self.attempts.append(task.task_id)
        if self.down:
            raise ConnectionError("the department's system does not answer")
        return Decision(outcome="approved", reason="checked on site", decided_by="officer 7") if self.decides else None

    async def cancel(self, task_id: str, reason: str) -> None:
        self.cancelled.append((task_id, reason))


@contextmanager
def running_gateway(
    kafka,
    env: dict[str, str],
    group: str,
    department: str = "fire-rescue",
    *,
    adapter_name: str = "rules",
    officer_keys: dict[str, str] | None = None,
    regions: list[str] | None = None,
    departments_dir: Path = REPO / "deploy/departments",
    **parts,
):
    settings = GatewaySettings(
        department=department,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        consumer_group=group,
        departments_dir=departments_dir,
        dispatch_retry_s=0.2,
        adapter=adapter_name,
        officer_keys=officer_keys or {},
        regions=regions or [],
    )
    with TestClient(create_app(settings, env=env, **parts)) as client:
        yield client


def caught_up(kafka, records) -> None:
    """Waits until the gateway has recorded everything on its topics so far."""
    for topic in (topics.APPLICATIONS, topics.TASKS):
        for partition, end in end_offsets(kafka.bootstrap_servers, topic).items():
            if end:
                wait_for(lambda t=topic, p=partition, e=end: at_or_past(records.stored_position(t, p), e - 1))


def at_or_past(stored: int | None, offset: int) -> bool:
    return stored is not None and stored >= offset


def decisions_for(kafka, case_ids: set[str]) -> list:
    return [
        env
        for _, env in read_all(kafka.bootstrap_servers, topics.DECISIONS, keys=case_ids)
        if env and env.subject in case_ids and env.type == "onestep.department.decided"
    ]


def acceptances_for(kafka, case_ids: set[str]) -> list:
    return [
        env
        for _, env in read_all(kafka.bootstrap_servers, topics.DECISIONS, keys=case_ids)
        if env and env.subject in case_ids and env.type == "onestep.task.accepted"
    ]


def test_each_task_is_recorded_decided_by_rules_and_its_decision_published_once(kafka, store_env):
    group = f"gateway-{uuid.uuid4().hex[:6]}"
    case_ids = [uuid.uuid4() for _ in range(20)]
    applications = [submitted_envelope(case_id, ["fire-rescue", "market-regulation"]) for case_id in case_ids]
    publish(kafka.bootstrap_servers, topics.APPLICATIONS, applications[:10])
    keys = {str(case_id) for case_id in case_ids}
    with running_gateway(kafka, store_env, group) as gateway:
        # (half of them arrive while the gateway works: its relay trails the dispatcher)
        publish(kafka.bootstrap_servers, topics.APPLICATIONS, applications[10:])
        published = wait_for(lambda: (d := decisions_for(kafka, keys)) and len(d) == len(case_ids) and d)
        for decided in published:
            assert (decided.event.department, decided.event.outcome) == ("fire-rescue", "approved")
            assert decided.event.gateway == group  # the decision says which gateway took the task
            assert decided.id == deterministic_id(task_id_for(decided.subject, "fire-rescue"), "decided")
        # Decided at once, so no acceptance of their own goes out: the decisions say it.
        assert acceptances_for(kafka, keys) == []
        task = gateway.app.state.gateway.app.task(task_id_for(case_ids[0], "fire-rescue"))
        assert (task.status, task.dispatched_to) == ("decided", "rules")
    publish(kafka.bootstrap_servers, topics.APPLICATIONS, applications[:1])  # delivered again
    with running_gateway(kafka, store_env, group) as gateway:
        caught_up(kafka, gateway.app.state.gateway.app)
        assert len(decisions_for(kafka, keys)) == len(case_ids)
        assert acceptances_for(kafka, keys) == []


class DecidingClerk:
    """An adapter that decides from the task alone (`DecidesAtOnce`), as `rules` does."""

    name = "test-clerk"

    def __init__(self):
        self.submitted: list[str] = []

    def decide_at_once(self, task: Task) -> Decision:
        return Decision(outcome="rejected", reason=f"seen in {task.region}", decided_by="clerk")

    async def submit(self, task: Task) -> Decision | None:
        self.submitted.append(task.task_id)  # never: the gateway decides such tasks as it records them
        return None

    async def cancel(self, task_id: str, reason: str) -> None:
        pass


def test_an_adapter_that_decides_at_once_decides_each_task_in_the_transaction_that_records_it(kafka, store_env):
    group, case_id = f"gateway-{uuid.uuid4().hex[:6]}", uuid.uuid4()
    clerk = DecidingClerk()
    city = f"439{random.randrange(10)}"  # (it would reject every other test's fire-rescue task too)
    application = submitted_envelope(case_id, ["fire-rescue"], region=f"{city}01", accepted_region=f"{city}01")
    publish(kafka.bootstrap_servers, topics.APPLICATIONS, [application])
    with running_gateway(kafka, store_env, group, adapter=clerk, regions=[city]) as gateway:
        (decided,) = wait_for(lambda: decisions_for(kafka, {str(case_id)}))
        assert (decided.event.outcome, decided.event.decided_by, decided.event.gateway) == ("rejected", "clerk", group)
        assert acceptances_for(kafka, {str(case_id)}) == []
        records = gateway.app.state.gateway.app
        task_id = uuid.UUID(task_id_for(case_id, "fire-rescue"))
        stored = [n for n in records.recorder.select_notifications(1, 10_000) if n.originator_id == task_id]
        # received, handed over and decided: one event, recorded with the task's Kafka position
        assert [n.topic.rsplit(".", 1)[1] for n in stored] == ["DecidedAtOnce"]
        assert records.task(str(task_id)).decision["outcome"] == "rejected"
        assert records.task(str(task_id)).dispatched_to == "test-clerk"
        desk = gateway.app.state.gateway.desk  # the desk lists it as decided, never as pending
        wait_for(lambda: str(task_id) in [t["task_id"] for t in desk.tasks(status="decided", region=city, limit=500)])
        caught_up(kafka, records)
        assert clerk.submitted == []


def test_a_task_the_department_system_takes_for_later_is_accepted_at_once_and_decided_later(kafka, store_env):
    group, case_id = f"gateway-{uuid.uuid4().hex[:6]}", uuid.uuid4()
    system = DepartmentSystem(decides=False)
    city = f"439{random.randrange(10)}"  # (other tests' tasks, and their cancellations, stay out)
    application = submitted_envelope(case_id, ["fire-rescue"], region=f"{city}01", accepted_region=f"{city}01")
    publish(kafka.bootstrap_servers, topics.APPLICATIONS, [application])
    with running_gateway(kafka, store_env, group, adapter=system, regions=[city]):
        (accepted,) = wait_for(lambda: acceptances_for(kafka, {str(case_id)}))
        assert (accepted.event.task_id, accepted.event.gateway, accepted.event.regions) == (
            task_id_for(case_id, "fire-rescue"),
            group,
            [city],
        )
        assert system.attempts.count(task_id_for(case_id, "fire-rescue")) == 1
        assert decisions_for(kafka, {str(case_id)}) == []


def test_tasks_wait_recorded_while_the_department_system_is_down_and_go_out_once_when_it_is_back(kafka, store_env):
    group = f"gateway-{uuid.uuid4().hex[:6]}"
    case_ids = [uuid.uuid4() for _ in range(3)]
    system = DepartmentSystem(down=True)
    publish(kafka.bootstrap_servers, topics.APPLICATIONS, [submitted_envelope(c, ["fire-rescue"]) for c in case_ids])
    with running_gateway(kafka, store_env, group, adapter=system) as gateway:
        records = gateway.app.state.gateway.app
        task_ids = [task_id_for(c, "fire-rescue") for c in case_ids]
        wait_for(lambda: all(uuid.UUID(t) in records.repository for t in task_ids))
        wait_for(lambda: len(system.attempts) >= 6)  # tried, and tried again
        detail = gateway.get("/readyz").json()["checks"]["adapter"]["detail"]
        waiting = re.fullmatch(
            r"adapter test-department-system; (\d+) recorded events not yet handed to it; \d+ parked", detail
        )
        assert waiting and int(waiting[1]) >= 3, detail  # (and any earlier test's fire-rescue tasks)
        metrics = gateway.get("/metrics").text
        backlog = re.search(r'onestep_gateway_dispatch_backlog_events\{department="fire-rescue"\} (\S+)', metrics)
        assert float(backlog[1]) >= 3
        assert re.search(r'onestep_follower_failures_total\{follower="dispatch"\} [1-9]', metrics)
        assert decisions_for(kafka, {str(c) for c in case_ids}) == []
        # The tasks reached the gateway: their acceptances go out while the system is down.
        accepted = wait_for(lambda: (a := acceptances_for(kafka, {str(c) for c in case_ids})) and len(a) == 3 and a)
        assert sorted(a.event.task_id for a in accepted) == sorted(task_ids)

        system.down = False
        published = wait_for(lambda: (d := decisions_for(kafka, {str(c) for c in case_ids})) and len(d) == 3 and d)
        assert sorted(d.event.task_id for d in published) == sorted(task_ids)
        assert {d.event.decided_by for d in published} == {"officer 7"}
        for task_id in task_ids:
            events = [type(e).__name__ for e in records.repository.event_store.get(uuid.UUID(task_id))]
            assert events == ["Received", "Dispatched", "Decided"]


def test_the_adapter_is_told_of_a_cancelled_task_and_a_task_cancelled_before_it_came_is_not_handed_over(
    kafka, store_env
):
    group = f"gateway-{uuid.uuid4().hex[:6]}"
    open_case, ended_case = uuid.uuid4(), uuid.uuid4()
    system = DepartmentSystem(decides=False)

    def cancelled(case_id) -> object:
        return cancelled_envelope(case_id, "fire-rescue", "market-regulation rejected the application")

    publish(kafka.bootstrap_servers, topics.TASKS, [cancelled(ended_case)])
    publish(kafka.bootstrap_servers, topics.APPLICATIONS, [submitted_envelope(open_case, ["fire-rescue"])])
    with running_gateway(kafka, store_env, group, adapter=system) as gateway:
        records = gateway.app.state.gateway.app
        open_task = task_id_for(open_case, "fire-rescue")
        wait_for(lambda: uuid.UUID(open_task) in records.repository and records.task(open_task).status == "dispatched")
        caught_up(kafka, records)  # the first cancellation is read (the two topics are read independently)
        publish(kafka.bootstrap_servers, topics.TASKS, [cancelled(open_case)])
        publish(kafka.bootstrap_servers, topics.APPLICATIONS, [submitted_envelope(ended_case, ["fire-rescue"])])
        told = wait_for(lambda: [reason for task_id, reason in system.cancelled if task_id == open_task])
        assert told == ["market-regulation rejected the application"]  # (the topic has other tests' cancellations)
        caught_up(kafka, records)
        ended = records.task(task_id_for(ended_case, "fire-rescue"))
        assert ended.status == "cancelled"
        assert task_id_for(ended_case, "fire-rescue") not in system.attempts


class HoldingSystem(DepartmentSystem):
    """A department system that takes a task (no decision yet) only when the test lets it answer."""

    def __init__(self):
        super().__init__(decides=False)
        self.answer = threading.Event()

    async def submit(self, task: Task) -> Decision | None:
        self.attempts.append(task.task_id)
        await asyncio.to_thread(self.answer.wait, 30)
        return None


def test_a_task_cancelled_while_the_department_system_takes_it_is_not_handed_over_again_and_is_dropped_there(
    kafka, store_env
):
    group, case_id = f"gateway-{uuid.uuid4().hex[:6]}", uuid.uuid4()
    task_id = task_id_for(case_id, "fire-rescue")
    system = HoldingSystem()
    city = f"439{random.randrange(10)}"
    application = submitted_envelope(case_id, ["fire-rescue"], region=f"{city}01", accepted_region=f"{city}01")
    publish(kafka.bootstrap_servers, topics.APPLICATIONS, [application])
    with running_gateway(kafka, store_env, group, adapter=system, regions=[city]) as gateway:
        records = gateway.app.state.gateway.app
        wait_for(lambda: task_id in system.attempts)  # the system has it, and has not answered yet
        ended = cancelled_envelope(case_id, "fire-rescue", "market-regulation rejected the application")
        publish(kafka.bootstrap_servers, topics.TASKS, [ended])
        wait_for(lambda: records.repository.get(uuid.UUID(task_id)).status == "cancelled")
        system.answer.set()  # it took the task: the dispatcher's record of that now conflicts
        told = wait_for(lambda: [reason for cancelled_id, reason in system.cancelled if cancelled_id == task_id])
        assert told == ["market-regulation rejected the application"]
        caught_up(kafka, records)
        assert system.attempts.count(task_id) == 1
        assert records.task(task_id).status == "cancelled"


def test_two_gateways_of_one_department_each_handle_only_their_cities_tasks(kafka, store_env, tmp_path):
    city_a, city_b, city_c = random.sample([f"43{n}" for n in range(60, 90)], 3)  # cities no other test files in
    inter_region, local, nowhere = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    publish(
        kafka.bootstrap_servers,
        topics.APPLICATIONS,
        [
            # handled in city A although accepted in city B
            submitted_envelope(inter_region, ["fire-rescue"], region=f"{city_a}02", accepted_region=f"{city_b}01"),
            submitted_envelope(local, ["fire-rescue"], region=f"{city_b}03", accepted_region=f"{city_b}03"),
            # no gateway of fire rescue serves city C: nobody accepts it (the ledger reports it unroutable)
            submitted_envelope(nowhere, ["fire-rescue"], region=f"{city_c}01", accepted_region=f"{city_c}01"),
        ],
    )
    other_store = {
        **store_env,
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(tmp_path / "b.sqlite"),
    }
    group = f"gateway-{uuid.uuid4().hex[:6]}"
    with (
        running_gateway(kafka, store_env, f"{group}-a", regions=[city_a]) as gateway_a,
        running_gateway(kafka, other_store, f"{group}-b", regions=[city_b]) as gateway_b,
    ):
        published = wait_for(lambda: (d := decisions_for(kafka, {str(inter_region), str(local)})) and len(d) == 2 and d)
        assert sorted((d.subject, d.event.gateway) for d in published) == sorted(
            [(str(inter_region), f"{group}-a"), (str(local), f"{group}-b")]
        )
        caught_up(kafka, gateway_a.app.state.gateway.app)
        caught_up(kafka, gateway_b.app.state.gateway.app)
        for gateway, mine, theirs in ((gateway_a, inter_region, local), (gateway_b, local, inter_region)):
            records = gateway.app.state.gateway.app.repository
            assert uuid.UUID(task_id_for(mine, "fire-rescue")) in records
            assert uuid.UUID(task_id_for(theirs, "fire-rescue")) not in records
            assert uuid.UUID(task_id_for(nowhere, "fire-rescue")) not in records
        assert decisions_for(kafka, {str(nowhere)}) == []


def test_records_of_types_the_gateway_does_not_apply_are_passed_over_undecoded_and_unknown_ones_parked(kafka, tmp_path):
    """A case's approval is none of a gateway's business, nor another department's application:
    neither is decoded (so a broken one is not the gateway's to park), while a record of a type
    nobody knows, or a broken application for its department, is still parked."""
    group, case_id = f"gateway-{uuid.uuid4().hex[:6]}", uuid.uuid4()
    key = str(case_id).encode()

    def record(event_type: bytes, name: str, value: bytes = b"not json", *more: tuple[str, bytes]):
        return key, value, [("ce_type", event_type), ("ce_id", f"{group}/{name}".encode()), *more]

    broken_approval = record(b"onestep.case.approved", "approval")
    unknown = record(b"onestep.no.such.event", "unknown", b"{}")
    for_others = record(b"onestep.application.submitted", "for-others", b"not json", ("ce_departments", b"fire market"))
    for_it = record(b"onestep.application.submitted", "for-it", b"not json", ("ce_departments", b"market fire-rescue"))
    publish(kafka.bootstrap_servers, topics.TASKS, [], raw=[broken_approval, unknown])
    publish(kafka.bootstrap_servers, topics.APPLICATIONS, [], raw=[for_others, for_it])
    publish(kafka.bootstrap_servers, topics.APPLICATIONS, [submitted_envelope(case_id, ["fire-rescue"])])
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "gateway.sqlite")}
    with running_gateway(kafka, env, group) as gateway:
        wait_for(lambda: decisions_for(kafka, {str(case_id)}))
        caught_up(kafka, gateway.app.state.gateway.app)
    parked = [
        headers["ce_id"]
        for headers, _ in read_all(kafka.bootstrap_servers, topics.DEAD_LETTERS)
        if headers.get("ce_id", b"").startswith(f"{group}/".encode())
        and headers.get("dlq_service", b"").startswith(b"department-gateway")
    ]
    # at least once each: a rebalance mid-batch parks it again
    assert set(parked) == {f"{group}/unknown".encode(), f"{group}/for-it".encode()}

"""The `http` adapter against the reference department system, both on real local ports, with
the real broker and store: tasks go out signed and come back by signed callback; while the
department's system is down they wait and go out once it is back, one task each however often
delivered; a bad signature, an unknown task and a cancelled task are refused; an answer that
is not a decision parks its task, and a status answer that is not one is passed over."""

from __future__ import annotations

import asyncio
import json
import random
import re
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI, Response

from onestep_contracts import task_id_for, topics
from onestep_contracts.adapters import DepartmentRefused, Task
from onestep_contracts.signing import SIGNATURE_HEADER, sign, verify
from onestep_gateway import poller
from onestep_gateway.adapters.http import HttpAdapter, HttpSettings
from onestep_gateway.entrypoints.api import create_app
from onestep_gateway.settings import GatewaySettings
from onestep_local.department_system import create_app as department_system
from onestep_local.kafka_broker import free_port

from ..kafka_probe import publish
from ..peers import WebhookReceiver, serving
from ..scenarios import cancelled_envelope, submitted_envelope
from .ledger_client import wait_for
from .test_gateway import REPO, decisions_for, running_gateway

SECRET = "department-shared-secret"
# A department no other test files tasks for: a new gateway reads its topics from the start.
DEPARTMENT = "ecology-environment"
# Counties of their own for tests that filter by region, one per run of a test (its SQLite and
# PostgreSQL runs share the broker: two runs in one county would each get the other's tasks).
COUNTIES = iter(random.sample(range(1000), 1000))


@contextmanager
def http_gateway(kafka, store_env, department_url: str):
    """A gateway with the http adapter, on a real port the department calls back."""
    port = free_port()
    adapter = HttpAdapter(
        HttpSettings(
            url=f"{department_url}/tasks",
            secret=SECRET,
            callback_base_url=f"http://127.0.0.1:{port}",
            attempts=2,
            backoff_s=0.05,
        )
    )
    settings = GatewaySettings(
        department=DEPARTMENT,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        consumer_group=f"gateway-{uuid.uuid4().hex[:6]}",
        departments_dir=REPO / "deploy/departments",
        dispatch_retry_s=0.2,
        port=port,
    )
    app = create_app(settings, env=store_env, adapter=adapter)
    with serving(app, port) as url:
        yield url, app


def control(department_url: str, **change) -> dict:
    return httpx.post(f"{department_url}/control", json=change).json()


def test_tasks_wait_while_the_department_system_is_down_and_reach_it_once(kafka, store_env):
    system = department_system(SECRET, delay_s=0.2)
    with serving(system) as department_url, http_gateway(kafka, store_env, department_url) as (gateway_url, _):
        control(department_url, down=True)
        case_ids = [uuid.uuid4() for _ in range(2)]
        publish(kafka.bootstrap_servers, topics.APPLICATIONS, [submitted_envelope(c, [DEPARTMENT]) for c in case_ids])
        wait_for(lambda: control(department_url)["refused_while_down"] >= 3)  # tried, and tried again
        assert decisions_for(kafka, {str(c) for c in case_ids}) == []
        detail = httpx.get(f"{gateway_url}/readyz").json()["checks"]["adapter"]["detail"]
        assert detail.startswith("adapter http;") and not detail.startswith("adapter http; 0 ")

        control(department_url, down=False)
        published = wait_for(lambda: (d := decisions_for(kafka, {str(c) for c in case_ids})) and len(d) == 2 and d)
        assert {d.event.decided_by for d in published} == {"reference department system"}
        ours = {task_id_for(c, DEPARTMENT) for c in case_ids}
        department = system.state.department
        assert ours <= set(department.tasks)  # one task each at the department
        assert all(department.tasks[t]["callback_status"] == 200 for t in ours)


def test_callbacks_are_refused_when_unsigned_unknown_or_for_a_cancelled_task(kafka, store_env):
    system = department_system(SECRET, delay_s=600)  # decides only when the test says
    with serving(system) as department_url, http_gateway(kafka, store_env, department_url) as (gateway_url, app):
        case_id = uuid.uuid4()
        task_id = task_id_for(case_id, DEPARTMENT)
        publish(kafka.bootstrap_servers, topics.APPLICATIONS, [submitted_envelope(case_id, [DEPARTMENT])])
        wait_for(lambda: task_id in system.state.department.tasks)
        records = app.state.gateway.app
        wait_for(lambda: records.task(task_id).status == "dispatched")  # recorded, so callbacks are taken
        decision = json.dumps({"outcome": "rejected", "reason": "no exits", "decided_by": "inspector 3"}).encode()

        def call_back(task: str, body: bytes, signature: str) -> httpx.Response:
            return httpx.post(f"{gateway_url}/v1/callbacks/{task}", content=body, headers={SIGNATURE_HEADER: signature})

        assert call_back(task_id, decision, sign("not-the-secret", decision)).status_code == 401
        stale = sign(SECRET, decision, timestamp=int(datetime.now(UTC).timestamp()) - 3600)
        assert call_back(task_id, decision, stale).status_code == 401
        assert call_back(str(uuid.uuid4()), decision, sign(SECRET, decision)).status_code == 404
        oversized = json.dumps({"outcome": "rejected", "reason": "x" * 100_000, "decided_by": "inspector 3"}).encode()
        too_large = call_back(task_id, oversized, sign(SECRET, oversized))  # refused before it is read whole
        assert too_large.status_code == 413 and too_large.headers["content-type"] == "application/problem+json"
        incomplete = json.dumps({"outcome": "approved", "decided_by": "inspector 3"}).encode()
        refused = call_back(task_id, incomplete, sign(SECRET, incomplete))
        assert refused.status_code == 422 and [e["pointer"] for e in refused.json()["errors"]] == ["#/licences"]

        publish(
            kafka.bootstrap_servers, topics.TASKS, [cancelled_envelope(case_id, DEPARTMENT, "the applicant withdrew")]
        )
        wait_for(lambda: system.state.department.tasks[task_id]["status"] == "cancelled")  # the department was told
        late = call_back(task_id, decision, sign(SECRET, decision))
        assert late.status_code == 409 and late.json()["detail"] == "the task is cancelled"
        assert decisions_for(kafka, {str(case_id)}) == []


def task_for_test() -> Task:
    case_id = uuid.uuid4()
    return Task(
        task_id=task_id_for(case_id, DEPARTMENT),
        case_id=str(case_id),
        department=DEPARTMENT,
        item="open-restaurant",
        item_version=2,
        region="430102",
        accepted_region="430102",
        form={"seats": 80},
        materials=[],
        approvals=["fire-safety-check"],
        due_at=datetime.now(UTC),
    )


def test_a_task_is_retried_on_5xx_and_signed_but_a_4xx_is_not_retried():
    with WebhookReceiver(statuses=[500, 503, 202]) as flaky, WebhookReceiver(statuses=[422, 202]) as refusing:
        task = task_for_test()
        settings = {"secret": SECRET, "attempts": 4, "backoff_s": 0.01}
        assert asyncio.run(HttpAdapter(HttpSettings(url=flaky.url, **settings)).submit(task)) is None
        assert [r["answered"] for r in flaky.received] == [500, 503, 202]
        last = flaky.received[-1]
        assert last["headers"]["Idempotency-Key"] == task.task_id
        assert verify(SECRET, last["body"], last["headers"][SIGNATURE_HEADER])
        assert json.loads(last["body"])["task_id"] == task.task_id

        with pytest.raises(DepartmentRefused, match="422"):
            asyncio.run(HttpAdapter(HttpSettings(url=refusing.url, **settings)).submit(task))
        assert [r["answered"] for r in refusing.received] == [422]


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (b"<html>Service moved</html>", "not JSON"),
        (b'{"outcome": "maybe", "decided_by": "inspector 3"}', "outcome"),
        (b'{"outcome": "approved", "licences": "XF-1", "decided_by": "inspector 3"}', "licences"),
    ],
)
def test_an_answer_that_is_not_a_decision_is_a_refusal_that_names_what_is_wrong(answer, why):
    """The department took the task (2xx) but its answer cannot be read: retrying would hand it
    over again for the same answer, so the task is parked with the reason."""
    with WebhookReceiver(statuses=[200], bodies=[answer]) as department:
        adapter = HttpAdapter(HttpSettings(url=department.url, secret=SECRET, attempts=3, backoff_s=0.01))
        with pytest.raises(DepartmentRefused, match=why) as refused:
            asyncio.run(adapter.submit(task_for_test()))
        assert "200 from the department" in str(refused.value)
        assert len(department.received) == 1  # not retried


def test_a_task_whose_answer_cannot_be_read_is_parked_and_the_tasks_after_it_go_out(kafka, store_env):
    region = f"439{next(COUNTIES):03d}"
    with WebhookReceiver(statuses=[200, 202], bodies=[b"<html>Service moved</html>"]) as department:
        adapter = HttpAdapter(HttpSettings(url=department.url, secret=SECRET, attempts=1))
        first, second = uuid.uuid4(), uuid.uuid4()
        group = f"gateway-{uuid.uuid4().hex[:6]}"
        with running_gateway(kafka, store_env, group, DEPARTMENT, adapter=adapter, regions=[region]) as gateway:
            records = gateway.app.state.gateway.app

            def status(case_id: uuid.UUID) -> str | None:
                task_id = task_id_for(case_id, DEPARTMENT)
                return records.task(task_id).status if uuid.UUID(task_id) in records.repository else None

            publish(
                kafka.bootstrap_servers, topics.APPLICATIONS, [submitted_envelope(first, [DEPARTMENT], region=region)]
            )
            wait_for(lambda: status(first) == "parked")
            assert "not JSON" in records.task(task_id_for(first, DEPARTMENT)).park_reason
            publish(
                kafka.bootstrap_servers, topics.APPLICATIONS, [submitted_envelope(second, [DEPARTMENT], region=region)]
            )
            wait_for(lambda: status(second) == "dispatched")
        keys = [request["headers"]["Idempotency-Key"] for request in department.received]
        assert keys == [task_id_for(first, DEPARTMENT), task_id_for(second, DEPARTMENT)]  # each handed over once


def test_a_task_the_department_refuses_is_parked_visibly_and_re_driven_once_fixed(kafka, store_env):
    region = f"439{next(COUNTIES):03d}"  # a county of this run's own (the broker keeps every run's tasks)
    with WebhookReceiver(statuses=[400, 400]) as refusing:  # a bad configuration at the department, fixed later
        adapter = HttpAdapter(HttpSettings(url=refusing.url, secret=SECRET, attempts=1))
        cases = [uuid.uuid4(), uuid.uuid4()]
        publish(
            kafka.bootstrap_servers,
            topics.APPLICATIONS,
            [submitted_envelope(case_id, [DEPARTMENT], region=region) for case_id in cases],
        )
        officer = {"Authorization": "Bearer officer-li-key"}
        group = f"gateway-{uuid.uuid4().hex[:6]}"
        with running_gateway(
            kafka,
            store_env,
            group,
            DEPARTMENT,
            officer_keys={"officer-li": "officer-li-key"},
            adapter=adapter,
            regions=[region],  # this test's tasks only
        ) as gateway:
            first, second = [task_id_for(case_id, DEPARTMENT) for case_id in cases]
            records = gateway.app.state.gateway.app

            def status(task_id: str) -> str | None:
                return records.task(task_id).status if uuid.UUID(task_id) in records.repository else None

            def listed(state: str) -> list[str]:
                answer = gateway.get("/v1/tasks", params={"status": state, "region": region}, headers=officer)
                return [task["task_id"] for task in answer.json()["tasks"]]

            wait_for(lambda: status(first) == status(second) == "parked")
            assert "400 from the department" in records.task(first).park_reason
            assert sorted(wait_for(lambda: len(p := listed("parked")) == 2 and p)) == sorted([first, second])
            assert "parked" in gateway.get("/readyz").json()["checks"]["adapter"]["detail"]
            parked_now = re.search(
                rf'onestep_gateway_parked_tasks{{department="{DEPARTMENT}"}} (\S+)', metrics(gateway)
            )
            assert float(parked_now[1]) >= 2

            assert gateway.post(f"/v1/tasks/{first}/redrive").status_code == 401
            assert gateway.post(f"/v1/tasks/{first}/redrive", headers=officer).status_code == 200
            wait_for(lambda: status(first) == "dispatched")
            again = gateway.post(f"/v1/tasks/{first}/redrive", headers=officer)
            assert again.status_code == 409 and "not parked" in again.json()["detail"]
            every = gateway.post("/v1/tasks/parked/redrive", params={"region": region}, headers=officer)
            assert every.json() == {"redriven": [second]}
            wait_for(lambda: status(second) == "dispatched")
            assert wait_for(lambda: listed("parked") == [])

            keys = [request["headers"]["Idempotency-Key"] for request in refusing.received]
            assert sorted(keys) == sorted([first, second, first, second])  # refused once, then taken once each
            events = [type(e).__name__ for e in records.repository.event_store.get(uuid.UUID(first))]
            assert events == ["Received", "Parked", "Redriven", "Dispatched"]


def metrics(gateway) -> str:
    return gateway.get("/metrics").text


def polling_adapter(department_url: str) -> HttpAdapter:
    """The http adapter for a department without callbacks: its status URL asked every 0.3 s."""
    status_url = f"{department_url}/tasks/{{task_id}}"
    return HttpAdapter(
        HttpSettings(url=f"{department_url}/tasks", secret=SECRET, status_url=status_url, poll_interval_s=0.3)
    )


def test_a_department_without_callbacks_is_polled_for_its_decisions(kafka, store_env, monkeypatch):
    """Every open task is asked about, a page at a time: the two tasks first in the walk stay
    under review for ever and fill the first page, and the three after them are still found."""
    monkeypatch.setattr(poller, "PAGE", 2)
    cases = sorted((str(uuid.uuid4()) for _ in range(5)), key=lambda case_id: task_id_for(case_id, DEPARTMENT))
    first_page, later = cases[:2], set(cases[2:])
    system = department_system(SECRET, delay_s=3600)
    with serving(system) as department_url:
        adapter = polling_adapter(department_url)

        def file(case_ids) -> None:
            envelopes = [submitted_envelope(uuid.UUID(case_id), [DEPARTMENT]) for case_id in case_ids]
            publish(kafka.bootstrap_servers, topics.APPLICATIONS, envelopes)

        group = f"gateway-{uuid.uuid4().hex[:6]}"
        with running_gateway(kafka, store_env, group, DEPARTMENT, adapter=adapter):
            file(first_page)
            held = system.state.department.tasks
            wait_for(lambda: all(task_id_for(case_id, DEPARTMENT) in held for case_id in first_page))
            system.state.department.delay_s = 0.2
            file(sorted(later))
            published = wait_for(lambda: (d := decisions_for(kafka, later)) and len(d) == 3 and d)
            assert {envelope.subject for envelope in published} == later
            assert {envelope.event.decided_by for envelope in published} == {"reference department system"}
            assert {licence.department for envelope in published for licence in envelope.event.licences} == {DEPARTMENT}
            assert decisions_for(kafka, set(first_page)) == []


def test_a_status_answer_that_cannot_be_read_is_passed_over_and_the_other_tasks_are_still_asked(kafka, store_env):
    """The walk over the open tasks goes on past a task whose status answer is not a decision
    (logged and counted, asked again next time), so a decision after it is still found."""
    unreadable, decided = uuid.uuid4(), uuid.uuid4()
    department = FastAPI()

    @department.post("/tasks")
    async def take() -> Response:
        return Response(status_code=202)

    @department.get("/tasks/{task_id}")
    async def status(task_id: str) -> Response:
        if task_id == task_id_for(unreadable, DEPARTMENT):
            return Response("<html>Service moved</html>", media_type="text/html")
        approval = {"approval": "environmental-approval", "number": "HP-2026-0001"}
        decision = {"outcome": "approved", "licences": [approval], "decided_by": "inspector 3"}
        return Response(json.dumps({"decision": decision}), media_type="application/json")

    with serving(department) as department_url:
        adapter = polling_adapter(department_url)
        group = f"gateway-{uuid.uuid4().hex[:6]}"
        with running_gateway(kafka, store_env, group, DEPARTMENT, adapter=adapter) as gateway:
            publish(
                kafka.bootstrap_servers,
                topics.APPLICATIONS,
                [submitted_envelope(c, [DEPARTMENT]) for c in (unreadable, decided)],
            )
            (published,) = wait_for(lambda: decisions_for(kafka, {str(decided)}))
            assert [licence.number for licence in published.event.licences] == ["HP-2026-0001"]
            counted = rf'onestep_gateway_status_answers_unreadable_total{{department="{DEPARTMENT}"}} (\S+)'
            assert float(wait_for(lambda: re.search(counted, metrics(gateway)))[1]) >= 1
            assert decisions_for(kafka, {str(unreadable)}) == []


class CountingPolls(HttpAdapter):
    """The http adapter, counting the status requests it makes."""

    status_requests = 0

    async def poll(self, task_id, department):
        self.status_requests += 1
        return await super().poll(task_id, department)


def test_of_two_gateway_instances_on_one_store_one_polls_the_department(kafka, store_env):
    """The department's system is asked about each task by one instance (the one holding the
    poller's lease), not once by each."""
    system = department_system(SECRET, delay_s=3600)  # the task stays under review
    with serving(system) as department_url:
        settings = HttpSettings(
            url=f"{department_url}/tasks",
            secret=SECRET,
            status_url=f"{department_url}/tasks/{{task_id}}",
            poll_interval_s=0.1,
        )
        adapters = [CountingPolls(settings), CountingPolls(settings)]
        group = f"gateway-{uuid.uuid4().hex[:6]}"
        with (
            running_gateway(kafka, store_env, group, DEPARTMENT, adapter=adapters[0]),
            running_gateway(kafka, store_env, group, DEPARTMENT, adapter=adapters[1]),
        ):
            case_id = str(uuid.uuid4())
            publish(
                kafka.bootstrap_servers, topics.APPLICATIONS, [submitted_envelope(uuid.UUID(case_id), [DEPARTMENT])]
            )
            wait_for(lambda: task_id_for(case_id, DEPARTMENT) in system.state.department.tasks)
            wait_for(lambda: sum(adapter.status_requests for adapter in adapters) >= 5)
            # counted while both run: once the holder stops, the other takes the lease over
            asked = [adapter.status_requests > 0 for adapter in adapters]
    assert sorted(asked) == [False, True]

"""The review desk on the real broker and store: officers of a department without a system
list the tasks waiting for them by region, claim, read and decide them; a decision is
published once; two officers deciding the same task at once get one 200 and one 409."""

from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from onestep_contracts import task_id_for, topics

from ..kafka_probe import publish
from ..scenarios import submitted_envelope
from .ledger_client import wait_for
from .test_gateway import decisions_for, running_gateway

LI = {"Authorization": "Bearer officer-li-key"}
WANG = {"Authorization": "Bearer officer-wang-key"}
OFFICERS = {"officer-li": "officer-li-key", "officer-wang": "officer-wang-key"}


def pending(desk, region: str) -> list[str]:
    response = desk.get("/v1/tasks", params={"status": "pending", "region": region, "limit": 500}, headers=LI)
    assert response.status_code == 200, response.text
    return [task["task_id"] for task in response.json()["tasks"]]


def test_officers_claim_and_decide_the_tasks_of_their_department(kafka, store_env):
    here, there = uuid.uuid4(), uuid.uuid4()
    # regions of their own: the topic holds every test's tasks
    region_here, region_there = random.sample([f"43{n:04d}" for n in range(9000, 10000)], 2)
    publish(
        kafka.bootstrap_servers,
        topics.APPLICATIONS,
        [
            submitted_envelope(here, ["fire-rescue"], region=region_here),
            submitted_envelope(there, ["fire-rescue"], region=region_there),
        ],
    )
    task_here, task_there = task_id_for(here, "fire-rescue"), task_id_for(there, "fire-rescue")
    group = f"gateway-{uuid.uuid4().hex[:6]}"
    with running_gateway(kafka, store_env, group, adapter_name="desk", officer_keys=OFFICERS) as desk:
        assert wait_for(lambda: pending(desk, region_here)) == [task_here]
        assert wait_for(lambda: pending(desk, region_there)) == [task_there]
        assert desk.get("/v1/tasks").status_code == 401
        assert desk.get("/v1/tasks", headers={"Authorization": "Bearer portal-key"}).status_code == 401

        detail = desk.get(f"/v1/tasks/{task_here}", headers=WANG).json()
        assert detail["status"] == "dispatched" and detail["task"]["form"]["seats"] == 30
        assert [m["code"] for m in detail["task"]["materials"]]

        assert desk.post(f"/v1/tasks/{task_here}/claim", headers=LI).json()["claimed_by"] == "officer-li"
        taken = desk.post(f"/v1/tasks/{task_here}/claim", headers=WANG)
        assert taken.status_code == 409 and "claimed by officer-li" in taken.json()["detail"]
        not_theirs = desk.post(
            f"/v1/tasks/{task_here}/decision", headers=WANG, json={"outcome": "rejected", "reason": "no exits"}
        )
        assert not_theirs.status_code == 409

        incomplete = desk.post(f"/v1/tasks/{task_here}/decision", headers=LI, json={"outcome": "approved"})
        assert incomplete.status_code == 422
        assert [e["pointer"] for e in incomplete.json()["errors"]] == ["#/licences"]
        padded = {"outcome": "rejected", "reason": "x" * 100_000}  # refused unread, not read whole for its 422
        oversized = desk.post(f"/v1/tasks/{task_here}/decision", headers=LI, json=padded)
        assert oversized.status_code == 413 and oversized.headers["content-type"] == "application/problem+json"
        approval = {"approval": "fire-rescue-ok", "number": "XF439001-0001"}
        decided = desk.post(
            f"/v1/tasks/{task_here}/decision", headers=LI, json={"outcome": "approved", "licences": [approval]}
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["status"] == "decided"
        again = desk.post(
            f"/v1/tasks/{task_here}/decision", headers=LI, json={"outcome": "approved", "licences": [approval]}
        )
        assert again.status_code == 409 and again.json()["detail"] == "the task is decided"

        (published,) = wait_for(lambda: decisions_for(kafka, {str(here)}))
        assert published.event.decided_by == "officer-li"
        issued = [(licence.approval, licence.number) for licence in published.event.licences]
        assert issued == [("fire-rescue-ok", "XF439001-0001")]
        assert wait_for(lambda: pending(desk, region_here) == [])

        asks = desk.post(f"/v1/tasks/{task_there}/decision", headers=WANG, json={"outcome": "supplement_required"})
        assert asks.status_code == 422 and [e["pointer"] for e in asks.json()["errors"]] == ["#/missing"]
        supplement = {"outcome": "supplement_required", "reason": "over 200 m²", "missing": ["evacuation-plan"]}
        with ThreadPoolExecutor(2) as both:
            answers = list(
                both.map(
                    lambda headers: desk.post(f"/v1/tasks/{task_there}/decision", headers=headers, json=supplement),
                    [LI, WANG],
                )
            )
        assert sorted(answer.status_code for answer in answers) == [200, 409]
        (asked,) = wait_for(lambda: decisions_for(kafka, {str(there)}))
        assert asked.event.outcome == "supplement_required" and asked.event.missing == ["evacuation-plan"]


def test_the_list_is_walked_a_page_at_a_time_in_due_order_however_many_tasks_share_a_due_time(kafka, store_env):
    region = random.choice([f"43{n:04d}" for n in range(9000, 10000)])
    at = datetime.now(UTC)
    due_times = [at, at, at, at + timedelta(minutes=1), at - timedelta(minutes=1)]  # three share one
    cases = [uuid.uuid4() for _ in due_times]
    publish(
        kafka.bootstrap_servers,
        topics.APPLICATIONS,
        [
            submitted_envelope(case_id, ["fire-rescue"], region=region, submitted_at=submitted)
            for case_id, submitted in zip(cases, due_times, strict=True)
        ],
    )
    group = f"gateway-{uuid.uuid4().hex[:6]}"
    with running_gateway(kafka, store_env, group, adapter_name="desk", officer_keys=OFFICERS) as desk:
        everything = wait_for(lambda: len(tasks := pending(desk, region)) == len(cases) and tasks)
        assert set(everything) == {task_id_for(case_id, "fire-rescue") for case_id in cases}

        walked, after, pages = [], None, 0
        while True:
            params = {"status": "pending", "region": region, "limit": 2} | ({"after": after} if after else {})
            page = desk.get("/v1/tasks", params=params, headers=LI).json()
            walked += [task["task_id"] for task in page["tasks"]]
            pages += 1
            if not (after := page["next"]):
                break
        assert walked == everything and pages == 3  # each once, in the order of the whole list

        refused = desk.get("/v1/tasks", params={"after": "not-a-cursor"}, headers=LI)
        assert refused.status_code == 422 and [e["pointer"] for e in refused.json()["errors"]] == ["query/after"]

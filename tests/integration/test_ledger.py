"""case-ledger against the real broker, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

from onestep_contracts import topics

from ..kafka_probe import end_offsets, publish, read_all
from ..scenarios import decided_envelope, submitted_envelope
from .ledger_client import AUTH, OTHER_PORTAL_AUTH, case, running_ledger, wait_for


def test_a_decision_that_arrives_before_its_application_is_held_and_the_case_is_approved(kafka, store_env):
    case_id = uuid.uuid4()
    publish(kafka.bootstrap_servers, topics.DECISIONS, [decided_envelope(case_id, "market-regulation")])
    with running_ledger(kafka, store_env, f"ledger-{uuid.uuid4().hex[:6]}") as ledger:
        store = ledger.app.state.ledger.app
        wait_for(lambda: case_id in store.repository and store.repository.get(case_id).status == "awaiting_application")
        assert case(ledger, case_id) is None  # no portal has filed it yet, so no portal sees it
        publish(kafka.bootstrap_servers, topics.APPLICATIONS, [submitted_envelope(case_id, ["market-regulation"])])
        approved = wait_for(lambda: (c := case(ledger, case_id)) and c["status"] == "approved" and c)
        assert approved["licences"] == [
            {"department": "market-regulation", "approval": "market-regulation-ok", "number": "T1"}
        ]
        timeline = ledger.get(f"/v1/cases/{case_id}/timeline", headers=AUTH).json()["events"]
        assert [e["event"] for e in timeline] == [
            "DecisionArrivedFirst",
            "ApplicationArrived",
            "DepartmentDecided",
            "Approved",
        ]
        assert (
            timeline[1]["applicant"]["id_number"].endswith("1234")
            and "4301" not in timeline[1]["applicant"]["id_number"]
        )
        assert ledger.get(f"/v1/cases/{case_id}", headers={"Authorization": "Bearer nope"}).status_code == 401
        # another portal's case does not exist for this portal, not even by its timeline
        assert ledger.get(f"/v1/cases/{case_id}", headers=OTHER_PORTAL_AUTH).status_code == 404
        assert ledger.get(f"/v1/cases/{case_id}/timeline", headers=OTHER_PORTAL_AUTH).status_code == 404

        def published():
            types = [
                env.type
                for _, env in read_all(kafka.bootstrap_servers, topics.CASES)
                if env and env.subject == str(case_id)
            ]
            return types if "onestep.case.approved" in types else None

        assert wait_for(published) == ["onestep.case.opened", "onestep.case.approved"]


def test_a_rejection_by_one_department_rejects_the_case_and_cancels_the_open_task(kafka, store_env):
    case_id = uuid.uuid4()
    publish(
        kafka.bootstrap_servers,
        topics.APPLICATIONS,
        [submitted_envelope(case_id, ["market-regulation", "fire-rescue"])],
    )
    publish(
        kafka.bootstrap_servers, topics.DECISIONS, [decided_envelope(case_id, "fire-rescue", "rejected", "no exits")]
    )
    with running_ledger(kafka, store_env, f"ledger-{uuid.uuid4().hex[:6]}") as ledger:
        rejected = wait_for(lambda: (c := case(ledger, case_id)) and c["status"] == "rejected" and c)
        parts = {p["department"]: p["status"] for p in rejected["departments"]}
        assert parts == {"market-regulation": "cancelled", "fire-rescue": "rejected"}

        def published(topic: str) -> list:
            return [e for _, e in read_all(kafka.bootstrap_servers, topic) if e and e.subject == str(case_id)]

        def cancellations():
            return [e.event.department for e in published(topics.TASKS) if e.type == "onestep.task.cancelled"]

        # to the gateways' topic, and the rejection to the case topic: neither on the other's
        assert wait_for(cancellations) == ["market-regulation"]
        case_events = wait_for(
            lambda: "onestep.case.rejected" in (t := [e.type for e in published(topics.CASES)]) and t
        )
        assert case_events == ["onestep.case.opened", "onestep.case.rejected"]
        assert [e.type for e in published(topics.TASKS)] == ["onestep.task.cancelled"]


def test_a_restarted_ledger_resumes_from_its_stored_positions_and_applies_nothing_twice(kafka, store_env):
    group = f"ledger-{uuid.uuid4().hex[:6]}"
    case_ids = [uuid.uuid4() for _ in range(20)]
    applications = [submitted_envelope(case_id, ["market-regulation"]) for case_id in case_ids]
    with running_ledger(kafka, store_env, group) as ledger:
        publish(kafka.bootstrap_servers, topics.APPLICATIONS, applications)
        wait_for(lambda: all(case(ledger, case_id) for case_id in case_ids))
    # While it is down: every decision, and every application published a second time.
    publish(kafka.bootstrap_servers, topics.DECISIONS, [decided_envelope(c, "market-regulation") for c in case_ids])
    publish(kafka.bootstrap_servers, topics.APPLICATIONS, applications)
    with running_ledger(kafka, store_env, group) as ledger:
        wait_for(lambda: all((c := case(ledger, case_id)) and c["status"] == "approved" for case_id in case_ids))
        for case_id in case_ids:
            events = [e["event"] for e in ledger.get(f"/v1/cases/{case_id}/timeline", headers=AUTH).json()["events"]]
            assert events == ["Opened", "DepartmentDecided", "Approved"]
        app = ledger.app.state.ledger.app
        for topic in (topics.APPLICATIONS, topics.DECISIONS):
            for partition, end in end_offsets(kafka.bootstrap_servers, topic).items():
                if end:
                    assert wait_for(lambda t=topic, p=partition, e=end: app.stored_position(t, p) == e - 1)

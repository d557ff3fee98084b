"""What a portal sends through intake beyond a plain application, on the real broker:
e-licences instead of files, materials promised for later, a supplement answering a notice,
and a withdrawal. Each bad input is refused with every problem listed, and nothing of it
reaches Kafka."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from onestep_contracts import topics

from ..kafka_probe import end_offsets, read_all
from ..scenarios import RESTAURANT_MATERIALS, material_refs, restaurant_application
from .intake_client import AUTH, pointers, submit

LICENCE_NUMBER = "91430102MA4L0T0X2K"


def published(kafka, case_id: str, topic: str = topics.APPLICATIONS) -> list:
    return [env for _, env in read_all(kafka.bootstrap_servers, topic) if env and env.subject == case_id]


def hire_staff(materials: list[dict]) -> dict:
    return {
        "item": "hire-staff",
        "region": "430102",
        "applicant": restaurant_application()["applicant"],
        "form": {"employer_name": "湘味小馆", "employee_count": 2, "start_date": "2026-12-14", "provident_fund": True},
        "materials": materials,
    }


def test_an_e_licence_stands_in_for_a_file_where_the_registry_allows_it(intake, kafka):
    upload = intake.post("/v1/materials", headers=AUTH, files={"file": ("c.pdf", b"contract")}).json()["sha256"]
    identity = intake.post("/v1/materials", headers=AUTH, files={"file": ("i.pdf", b"identity")}).json()["sha256"]
    materials = [
        {"code": "business-licence", "licence": LICENCE_NUMBER},
        {"code": "employment-contract", "sha256": upload},
        {"code": "employee-identity", "sha256": identity},
    ]
    response = submit(intake, hire_staff(materials))
    assert response.status_code == 202, response.text
    (event,) = [env.event for env in published(kafka, response.json()["case_id"])]
    assert event.materials[0].licence == LICENCE_NUMBER and event.materials[0].sha256 is None

    # premises proof has no e-licence in the registry; a reference must be one thing or the other
    body = restaurant_application(materials=material_refs())
    body["materials"][1] = {"code": "premises-proof", "licence": LICENCE_NUMBER}
    body["materials"][2] = {"code": "food-safety-plan", "licence": LICENCE_NUMBER, "sha256": "0" * 64}
    refused = submit(intake, body)
    assert refused.status_code == 422
    assert set(pointers(refused)) >= {"#/materials/1/licence", "#/materials/2"}


def test_a_promisable_material_may_be_promised_for_a_later_date(intake, kafka):
    by = (date.today() + timedelta(days=20)).isoformat()
    without_plan = material_refs([code for code in RESTAURANT_MATERIALS if code != "food-safety-plan"])
    response = submit(
        intake, restaurant_application(materials=without_plan, promises=[{"code": "food-safety-plan", "by": by}])
    )
    assert response.status_code == 202, response.text
    (event,) = [env.event for env in published(kafka, response.json()["case_id"])]
    assert [(p.code, p.by.isoformat()) for p in event.promises] == [("food-safety-plan", by)]


def test_every_bad_promise_is_listed_at_once(intake, kafka):
    before = end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS)
    promises = [
        {"code": "floor-plan", "by": (date.today() + timedelta(days=5)).isoformat()},  # not promisable
        {"code": "food-safety-plan", "by": (date.today() + timedelta(days=400)).isoformat()},  # too far, and given
        {"code": "sign-design", "by": "yesterday"},
    ]
    response = submit(intake, restaurant_application(promises=promises))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert {"#/promises/0/code", "#/promises/1/code", "#/promises/1/by", "#/promises/2/by"} <= set(pointers(response))
    assert end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS) == before


def test_a_supplement_and_a_withdrawal_reach_kafka_for_the_ledger_to_apply(intake, kafka):
    case_id = submit(intake, restaurant_application(seats=80)).json()["case_id"]
    plan = intake.post("/v1/materials", headers=AUTH, files={"file": ("e.pdf", b"evacuation plan")}).json()["sha256"]
    supplied = intake.post(
        f"/v1/applications/{case_id}/supplements",
        headers=AUTH,
        json={"materials": [{"code": "evacuation-plan", "sha256": plan}], "answers": {"floor_area_m2": 180}},
    )
    assert supplied.status_code == 202, supplied.text
    assert supplied.json()["links"]["timeline"] == f"/v1/cases/{case_id}/timeline"
    withdrawn = intake.post(f"/v1/applications/{case_id}/withdraw", headers=AUTH, json={"reason": "moved elsewhere"})
    assert withdrawn.status_code == 202

    types = [env.type for env in published(kafka, case_id)]
    assert types == [
        "onestep.application.submitted",
        "onestep.application.supplemented",
        "onestep.application.withdrawal-requested",
    ]
    supplement, withdrawal = [env.event for env in published(kafka, case_id)][1:]
    assert supplement.portal == "portal-a" and supplement.answers == {"floor_area_m2": 180}
    assert withdrawal.reason == "moved elsewhere"


def test_a_bad_supplement_or_withdrawal_is_refused_with_every_problem_and_nothing_is_published(intake, kafka):
    case_id = str(uuid.uuid4())
    before = end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS)
    supplied = intake.post(
        f"/v1/applications/{case_id}/supplements",
        headers=AUTH,
        json={"materials": [{"code": "evacuation-plan", "sha256": "f" * 64}, {"code": "x"}], "colour": "red"},
    )
    assert supplied.status_code == 422
    assert {"#/materials/0/sha256", "#/materials/1", "#/colour"} <= set(pointers(supplied))
    withdrawn = intake.post(f"/v1/applications/{case_id}/withdraw", headers=AUTH, json={"reason": 7})
    assert withdrawn.status_code == 422 and pointers(withdrawn) == ["#/reason"]
    assert intake.post(f"/v1/applications/{case_id}/withdraw", json={}).status_code == 401
    assert end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS) == before

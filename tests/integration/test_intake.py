"""intake against the real broker: what it accepts, what it refuses, and what reaches Kafka."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient

from onestep_contracts import topics
from onestep_intake.entrypoints.api import create_app
from onestep_intake.settings import IntakeSettings
from onestep_local.kafka_broker import free_port

from ..kafka_probe import end_offsets, read_all
from ..scenarios import new_key, restaurant_application
from .intake_client import AUTH, KEY, intake_client, pointers, submit


def test_the_catalogue_lists_its_items_with_their_unified_forms(intake):
    items = {item["code"]: item for item in intake.get("/v1/items").json()["items"]}
    assert {"open-restaurant", "newborn", "start-business", "open-guesthouse"} <= set(items)
    assert items["open-restaurant"]["version"] == 2
    item = intake.get("/v1/items/open-restaurant").json()
    assert "seats" in item["form_schema"]["properties"]
    assert all(material["title"]["zh"] for material in item["materials"])
    assert len({material["code"] for material in item["materials"]}) == len(item["materials"])
    assert intake.get("/v1/items/no-such-item").status_code == 404


def test_every_problem_of_an_application_is_listed_at_once_and_nothing_reaches_kafka(intake, kafka):
    before = end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS)
    body = restaurant_application(seats=80, sign=True, region="99010x")
    del body["form"]["address"]
    body["form"]["food_categories"] = ["caviar"]
    body["materials"] = [m for m in body["materials"] if m["code"] != "floor-plan"]
    response = submit(intake, body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = {(error["pointer"], error["detail"]) for error in response.json()["errors"]}
    assert {pointer for pointer, _ in errors} == {"#/region", "#/form", "#/form/food_categories/0", "#/materials"}
    assert ("#/materials", "missing required material 'floor-plan'") in errors
    assert any("'address' is a required property" in detail for _, detail in errors)
    assert end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS) == before


@pytest.mark.parametrize(
    ("change", "status", "pointer"),
    [
        ({"item": "open-casino"}, 422, "#/item"),
        ({"region": "123"}, 422, "#/region"),
        ({"region": "990101"}, 422, "#/region"),
        ({"materials": []}, 422, "#/materials"),
        ({"form": {"seats": 10}}, 422, "#/form"),
        ({"applicant": {"name": ""}}, 422, "#/applicant/name"),
    ],
)
def test_each_bad_input_gets_a_clear_problem(intake, kafka, change, status, pointer):
    before = end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS)
    response = submit(intake, restaurant_application(**change))
    assert response.status_code == status, response.text
    assert pointer in pointers(response)
    assert all(error["detail"] for error in response.json()["errors"])
    assert end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS) == before


def test_an_unstored_material_file_is_a_problem(intake):
    body = restaurant_application()
    body["materials"][0]["sha256"] = "0" * 64
    response = submit(intake, body)
    assert response.status_code == 422
    assert "#/materials/0/sha256" in pointers(response)


def test_malformed_json_and_a_missing_or_overlong_idempotency_key_are_refused(intake, kafka):
    before = end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS)
    malformed = intake.post(
        "/v1/applications",
        content=b'{"item": ',
        headers={**AUTH, "Idempotency-Key": new_key(), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400 and malformed.json()["errors"]
    no_key = intake.post("/v1/applications", json=restaurant_application(), headers=AUTH)
    assert no_key.status_code == 400 and "Idempotency-Key" in no_key.json()["title"]
    too_long = intake.post(
        "/v1/applications", json=restaurant_application(), headers={**AUTH, "Idempotency-Key": "k" * 201}
    )
    assert too_long.status_code == 422 and too_long.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in too_long.json()["errors"]] == ["header/Idempotency-Key"]
    assert end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS) == before


@pytest.mark.parametrize(
    ("value", "pointer"),
    [("NaN", "#"), ("Infinity", "#"), ('"\\ud800 lone surrogate"', "#"), ("1e999", "#/form/floor_area_m2")],
)
def test_numbers_and_text_that_json_does_not_have_are_refused_and_nothing_reaches_kafka(intake, kafka, value, pointer):
    """Python's json module reads them (a form holding one was accepted and published as
    something else, and a lone surrogate failed with a 500); they are not JSON."""
    before = end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS)
    body = restaurant_application()
    body["form"]["floor_area_m2"] = "PLACEHOLDER"
    text = json.dumps(body).replace('"PLACEHOLDER"', value)
    headers = {**AUTH, "Idempotency-Key": new_key(), "Content-Type": "application/json"}
    response = intake.post("/v1/applications", content=text.encode(), headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "The request body is not valid JSON"
    assert [error["pointer"] for error in response.json()["errors"]] == [pointer]
    with_bom = intake.post("/v1/applications", content=b"\xef\xbb\xbf" + json.dumps(body).encode(), headers=headers)
    assert with_bom.status_code == 422 and "#/form/floor_area_m2" in pointers(with_bom)  # read, then checked
    assert end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS) == before


def test_a_body_beyond_the_limit_is_refused_before_it_is_read_whole_declared_or_chunked(intake, kafka):
    before = end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS)
    padded = json.dumps({**restaurant_application(), "notes": "x" * (1024 * 1024)}).encode()
    headers = {**AUTH, "Idempotency-Key": new_key(), "Content-Type": "application/json"}

    def chunked():
        for start in range(0, len(padded), 64 * 1024):
            yield padded[start : start + 64 * 1024]

    for content in (padded, chunked()):
        response = intake.post("/v1/applications", content=content, headers=headers)
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "1048576 bytes" in response.json()["detail"]
    supplement = intake.post(f"/v1/applications/{uuid.uuid4()}/supplements", content=padded, headers=headers)
    assert supplement.status_code == 413
    assert end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS) == before


def test_a_missing_or_wrong_api_key_is_refused(intake, kafka):
    before = end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS)
    body = restaurant_application()
    missing = intake.post("/v1/applications", json=body, headers={"Idempotency-Key": new_key()})
    wrong = intake.post(
        "/v1/applications", json=body, headers={"Authorization": "Bearer nope", "Idempotency-Key": new_key()}
    )
    assert missing.status_code == 401 and wrong.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert intake.post("/v1/materials", files={"file": ("x", b"x")}).status_code == 401
    assert end_offsets(kafka.bootstrap_servers, topics.APPLICATIONS) == before


def test_the_same_idempotency_key_names_the_same_case(intake, kafka):
    key = new_key()
    first = submit(intake, restaurant_application(), key=key)
    second = submit(intake, restaurant_application(), key=key)
    assert first.status_code == second.status_code == 202
    assert first.json()["case_id"] == second.json()["case_id"]
    case_id = first.json()["case_id"]
    published = [
        env for _, env in read_all(kafka.bootstrap_servers, topics.APPLICATIONS) if env and env.subject == case_id
    ]
    # Kafka may hold the retry too; both carry the same event id, so consumers apply it once.
    assert {env.id for env in published} == {published[0].id}


def test_an_accepted_application_is_in_kafka_with_its_route(intake, kafka):
    response = submit(intake, restaurant_application(seats=80, sign=False))
    assert response.status_code == 202
    case_id = response.json()["case_id"]
    published = [
        env for _, env in read_all(kafka.bootstrap_servers, topics.APPLICATIONS) if env and env.subject == case_id
    ]
    assert len(published) == 1
    event = published[0].event
    assert [step.department for step in event.route] == ["market-regulation", "fire-rescue"]
    assert event.portal == "portal-a" and event.accepted_region == "430102"


def test_when_kafka_cannot_be_reached_intake_answers_503_with_retry_after(tmp_path):
    client = intake_client(tmp_path, f"127.0.0.1:{free_port()}", wait_ready=False)
    try:
        assert client.get("/readyz").status_code == 503
        response = submit(client, restaurant_application())
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert "Idempotency-Key" in response.json()["detail"]
    finally:
        client.__exit__(None, None, None)


def test_the_same_file_uploaded_twice_is_stored_once_under_one_sha256(intake, tmp_path):
    first = intake.post("/v1/materials", headers=AUTH, files={"file": ("a.pdf", b"same bytes")}).json()
    second = intake.post("/v1/materials", headers=AUTH, files={"file": ("b.pdf", b"same bytes")}).json()
    assert first["sha256"] == second["sha256"]
    stored = [path for path in (tmp_path / "materials").rglob("*") if path.is_file() and path.name == first["sha256"]]
    assert len(stored) == 1 and stored[0].read_bytes() == b"same bytes"


def test_a_material_over_the_size_limit_is_refused_and_not_stored(kafka, tmp_path):
    settings = IntakeSettings(
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        portal_keys={"portal-a": KEY},
        materials_dir=tmp_path / "materials",
        max_material_bytes=1024,
    )
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/materials", headers=AUTH, files={"file": ("big.pdf", b"x" * 2048)})
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        # Far beyond it, and sent in chunks: refused as it arrives, not spooled whole first.
        upload = httpx.Request("POST", "http://intake/v1/materials", files={"file": ("huge.pdf", b"x" * 2_000_000)})
        body, content_type = upload.read(), upload.headers["content-type"]
        chunks = (body[start : start + 65_536] for start in range(0, len(body), 65_536))
        huge = client.post("/v1/materials", headers={**AUTH, "content-type": content_type}, content=chunks)
        assert huge.status_code == 413, huge.text
        assert huge.json()["detail"].endswith(
            "A material file is at most 1024 bytes, sent alone as multipart/form-data."
        )
    assert not [path for path in (tmp_path / "materials").rglob("*") if path.is_file()]

"""What ships beside the code: JSON Schemas, the catalogue, webhook signatures."""

import json
from pathlib import Path

import pytest

from onestep_contracts import ContractError
from onestep_contracts.catalogue import load_catalogue
from onestep_contracts.schemas import event_schemas
from onestep_contracts.signing import sign, verify

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_json_schemas_match_the_event_models():
    shipped = {path.name: json.loads(path.read_text()) for path in (REPO / "libs/contracts/schemas").glob("*.json")}
    assert shipped == event_schemas(), "run `make schemas` and commit the result"


def test_the_catalogue_keeps_older_item_versions_for_running_cases():
    catalogue = load_catalogue(REPO / "catalogue")
    assert catalogue.item("open-restaurant").version == 2
    assert catalogue.item("open-restaurant", 1).version == 1
    assert catalogue.item("open-restaurant").material("food-safety-plan").title.en == "Food safety management plan"


def test_a_catalogue_naming_an_unknown_department_is_refused(tmp_path):
    (tmp_path / "items").mkdir()
    (tmp_path / "departments.yaml").write_text("departments: []\n")
    (tmp_path / "materials.yaml").write_text((REPO / "catalogue/materials.yaml").read_text())
    (tmp_path / "items" / "x.yaml").write_text((REPO / "catalogue/items/open-restaurant/v1.yaml").read_text())
    with pytest.raises(ContractError, match="unknown departments"):
        load_catalogue(tmp_path)


def test_a_webhook_signature_verifies_only_for_the_same_body_secret_and_fresh_time():
    header = sign("s3cret", b'{"a":1}', timestamp=1_000_000)
    assert verify("s3cret", b'{"a":1}', header, now=1_000_010)
    assert not verify("s3cret", b'{"a":2}', header, now=1_000_010)
    assert not verify("other", b'{"a":1}', header, now=1_000_010)
    assert not verify("s3cret", b'{"a":1}', header, now=1_000_000 + 3600)
    assert not verify("s3cret", b'{"a":1}', "garbage", now=1_000_010)

"""`onestep-rules check`: a department's rules file against the catalogue whose applications
it decides. A rule that cannot be evaluated counts as not holding, so a mistake in one lets
applications through; the check finds it before any application meets it."""

from __future__ import annotations

from pathlib import Path

import pytest

from onestep_contracts.catalogue import Catalogue, load_catalogue
from onestep_gateway.adapters.rules import RulesConfig
from onestep_gateway.rules_check import main, rules_problems

ROOT = Path(__file__).resolve().parents[2]
DEPARTMENTS = ROOT / "deploy" / "departments"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(ROOT / "catalogue")


def rules(department: str = "fire-rescue", *rules: dict, **prefixes: str) -> RulesConfig:
    return RulesConfig(department=department, rules=list(rules), licence_prefixes=prefixes)


def rejecting(when: str, **extra) -> dict:
    return {"when": when, "outcome": "rejected", "reason": "a reason", **extra}


@pytest.mark.parametrize("path", sorted(DEPARTMENTS.glob("*.yaml")), ids=lambda path: path.stem)
def test_every_rules_file_of_the_repository_has_no_problem(path, catalogue):
    assert main(["check", "--catalogue", str(ROOT / "catalogue"), str(path)]) == 0


def test_every_mistake_of_a_rules_file_is_listed_with_its_rule(catalogue):
    config = rules(
        "fire-rescue",
        rejecting("form.seats > 2000"),  # fine: guesthouses have no seats, and it does not hold there
        rejecting("form.seat > 2000"),
        rejecting("form.seats > '2000'"),
        rejecting("!('evacuation-plan' in materials) && !('fire-drill-log' in materials)"),
        {
            "when": "form.floor_area_m2 > 200",
            "outcome": "supplement_required",
            "reason": "r",
            "missing": ["staff-roster"],
        },
        rejecting("form.seats >"),
        **{"fire-safety-check": "XF", "food-business-permit": "SP"},
    )

    problems = rules_problems(config, catalogue)

    seat, text, material, missing, syntax, prefix = problems
    assert seat == "rule 2 ('form.seat > 2000'): reads ['seat'], on no form of an item routed to fire-rescue"
    assert text.startswith("rule 3 (\"form.seats > '2000'\"): condition") and "open-restaurant's form" in text
    assert material.startswith("rule 4") and material.endswith(
        "names materials ['fire-drill-log'], which no item routed to fire-rescue lists"
    )
    assert missing.startswith("rule 5") and "asks for missing ['staff-roster']" in missing
    assert syntax.startswith("rule 6 ('form.seats >'): invalid condition")
    assert prefix == "licence prefix for 'food-business-permit', which fire-rescue does not grant"


def test_a_licence_prefix_for_an_approval_the_department_does_not_grant_is_a_problem(catalogue):
    problems = rules_problems(rules("fire-rescue", **{"food-business-permit": "SP"}), catalogue)
    assert problems == ["licence prefix for 'food-business-permit', which fire-rescue does not grant"]


def test_a_department_the_catalogue_does_not_know_or_routes_nothing_to_is_a_problem(catalogue):
    assert rules_problems(rules("fire-rescu"), catalogue) == ["department 'fire-rescu' is not in the catalogue"]
    without_fire = [item for item in catalogue.in_force() if item.part("fire-rescue") is None]
    registries = (list(catalogue.departments.values()), list(catalogue.materials.values()))
    assert rules_problems(rules("fire-rescue"), Catalogue(without_fire, *registries)) == [
        "no item in force is routed to fire-rescue: its rules decide nothing"
    ]


def test_the_command_lists_each_files_problems_and_fails(tmp_path, capsys):
    broken = tmp_path / "fire-rescue.yaml"
    broken.write_text("department: fire-rescue\nrules:\n  - when: form.seat > 2000\n    outcome: rejected\n")
    good = DEPARTMENTS / "market-regulation.yaml"

    assert main(["check", "--catalogue", str(ROOT / "catalogue"), str(broken), str(good)]) == 1

    out, err = capsys.readouterr()
    assert f"{good}: ok" in out
    assert f"problem: {broken}: rules.0.reason: Field required" in err
    assert "1 of 2 rules file(s) have problems" in err

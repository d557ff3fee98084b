"""`onestep-catalogue check` passes the shipped catalogue and lists every mistake of a broken one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def check(directory: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "onestep_contracts.catalogue_check", "check", str(directory)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def edit(path: Path, change) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def part(document: dict, department: str) -> dict:
    return next(p for p in document["departments"] if p["department"] == department)


def test_the_shipped_catalogue_passes_with_its_eight_items():
    result = check(REPO / "catalogue")
    assert result.returncode == 0, result.stderr
    assert "8 items in force" in result.stdout


def test_every_kind_of_mistake_is_listed_at_once(tmp_path):
    catalogue = tmp_path / "catalogue"
    shutil.copytree(REPO / "catalogue", catalogue)
    items = catalogue / "items"

    def break_restaurant(document):
        document["materials"].append({"code": "no-such-material"})
        part(document, "fire-rescue")["condition"] = "form.seats >"
        part(document, "urban-management")["condition"] = "form.floor_area_m2 > '200'"  # a number and a text
        part(document, "market-regulation")["reads"].append("tax-return")
        document["departments"].append({**part(document, "urban-management"), "department": "no-such-department"})

    def break_newborn(document):
        document["form_schema"]["properties"]["child_name"]["type"] = "text"
        part(document, "health")["needs"] = ["maternity-allowance"]
        part(document, "public-security")["condition"] = "form.twins"

    def break_start_business(document):
        part(document, "bank")["needs"] = ["company-seal"]

    edit(items / "open-restaurant" / "v2.yaml", break_restaurant)
    edit(items / "newborn" / "v1.yaml", break_newborn)
    edit(items / "start-business" / "v1.yaml", break_start_business)

    result = check(catalogue)
    assert result.returncode == 1
    problems = result.stderr
    for expected in (
        "unknown materials ['no-such-material']",
        "unknown departments ['no-such-department']",
        "invalid condition 'form.seats >'",
        """condition "form.floor_area_m2 > '200'" cannot be evaluated: No such overload""",
        "market-regulation reads unlisted materials ['tax-return']",
        "form schema does not compile",
        "reads ['twins'], which the form does not have",
        "bank needs 'company-seal', which no department of the item grants",
    ):
        assert expected in problems, f"{expected!r} not in:\n{problems}"


def test_departments_that_need_each_other_in_a_cycle_are_refused(tmp_path):
    catalogue = tmp_path / "catalogue"
    shutil.copytree(REPO / "catalogue", catalogue)
    edit(
        catalogue / "items" / "close-business" / "v1.yaml",
        lambda document: part(document, "taxation").update(needs=["seal-cancellation"]),
    )
    result = check(catalogue)
    assert result.returncode == 1
    assert "cycle: taxation -> public-security -> market-regulation -> taxation" in result.stderr


def test_a_prerequisite_that_is_not_always_on_the_route_is_refused(tmp_path):
    catalogue = tmp_path / "catalogue"
    shutil.copytree(REPO / "catalogue", catalogue)
    edit(
        catalogue / "items" / "open-restaurant" / "v2.yaml",
        lambda document: part(document, "tobacco-monopoly").update(needs=["outdoor-sign-permit"]),
    )
    result = check(catalogue)
    assert "a prerequisite must always be on the route" in result.stderr

"""The `rules` adapter decides from a department's declarative rules."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from onestep_contracts.adapters import Task
from onestep_gateway.adapters.loading import load_adapter
from onestep_gateway.adapters.rules import RulesAdapter

from ..scenarios import material_refs, restaurant_form

DEPARTMENTS = Path(__file__).resolve().parents[2] / "deploy" / "departments"


def task(form: dict, department: str = "market-regulation") -> Task:
    return Task(
        task_id="6f1c0a52-8d1e-5d7b-9c41-3b8f2a7d9e10",
        case_id="c-1",
        department=department,
        item="open-restaurant",
        item_version=1,
        region="430102",
        accepted_region="430102",
        form=form,
        materials=material_refs(),
        approvals=["business-licence", "food-business-permit"],
        due_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


def test_an_ordinary_restaurant_is_approved_with_a_licence_per_approval():
    adapter = RulesAdapter.from_config(DEPARTMENTS / "market-regulation.yaml")
    decision = asyncio.run(adapter.submit(task(restaurant_form(seats=30, sign=False))))
    assert decision.outcome == "approved"
    assert [(lic.approval, lic.number[:8]) for lic in decision.licences] == [
        ("business-licence", "91430102"),
        ("food-business-permit", "JY430102"),
    ]


def test_the_first_rule_that_holds_decides_with_its_reason():
    adapter = RulesAdapter.from_config(DEPARTMENTS / "market-regulation.yaml")
    form = restaurant_form(seats=30, sign=False, food_categories=["raw_seafood"], floor_area_m2=20.0)
    decision = asyncio.run(adapter.submit(task(form)))
    assert decision.outcome == "rejected" and "preparation room" in decision.reason and not decision.licences


def test_the_gateway_finds_the_rules_adapter_by_its_entry_point():
    adapter = load_adapter("rules", DEPARTMENTS / "fire-rescue.yaml")
    assert adapter.name == "rules"

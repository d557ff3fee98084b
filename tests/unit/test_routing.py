"""Which departments an open-restaurant application needs, resolved from its form."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from onestep_contracts.catalogue import load_catalogue
from onestep_intake.domain.routing import materials_needed, route_application

from ..scenarios import restaurant_form

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "catalogue")
RESTAURANT = CATALOGUE.item("open-restaurant")
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def departments(route):
    return [step.department for step in route]


def test_a_restaurant_with_80_seats_and_a_sign_needs_all_three_departments():
    route = route_application(RESTAURANT, restaurant_form(seats=80, sign=True), NOW)
    assert departments(route) == ["market-regulation", "fire-rescue", "urban-management"]


def test_a_30_seat_restaurant_without_a_sign_needs_only_market_regulation():
    route = route_application(RESTAURANT, restaurant_form(seats=30, sign=False), NOW)
    assert departments(route) == ["market-regulation"]
    assert route[0].approvals == ["business-licence", "food-business-permit"]


def test_fire_safety_starts_above_50_seats():
    assert "fire-rescue" not in departments(route_application(RESTAURANT, restaurant_form(seats=50, sign=False), NOW))
    assert "fire-rescue" in departments(route_application(RESTAURANT, restaurant_form(seats=51, sign=False), NOW))


def test_each_department_is_due_after_its_promised_days():
    route = route_application(RESTAURANT, restaurant_form(seats=80, sign=True), NOW)
    assert {step.department: step.due_at - NOW for step in route} == {
        "market-regulation": timedelta(days=3),
        "fire-rescue": timedelta(days=5),
        "urban-management": timedelta(days=5),
    }


def test_only_the_materials_the_route_reads_are_asked_for():
    small = route_application(RESTAURANT, restaurant_form(seats=30, sign=False), NOW)
    assert materials_needed(RESTAURANT, small) == ["applicant-identity", "premises-proof", "food-safety-plan"]
    full = route_application(RESTAURANT, restaurant_form(seats=80, sign=True), NOW)
    assert materials_needed(RESTAURANT, full) == [
        "applicant-identity",
        "premises-proof",
        "food-safety-plan",
        "floor-plan",
        "sign-design",
    ]

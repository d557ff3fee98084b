"""Which departments an application needs, resolved from its form, and in what order."""

from datetime import datetime
from pathlib import Path

from onestep_contracts.calendar import WorkingCalendar
from onestep_contracts.catalogue import load_catalogue
from onestep_intake.domain.routing import materials_needed, route_application

from ..scenarios import restaurant_form

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = load_catalogue(REPO / "catalogue")
CALENDAR = WorkingCalendar.from_file(REPO / "catalogue" / "calendar.yaml")
RESTAURANT = CATALOGUE.item("open-restaurant")
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=CALENDAR.zone)  # a Monday


def route(item: str, form: dict):
    return route_application(CATALOGUE.item(item), form, NOW, CALENDAR)


def departments(steps):
    return [step.department for step in steps]


def test_a_restaurant_with_80_seats_a_sign_and_tobacco_needs_all_four_departments():
    steps = route("open-restaurant", restaurant_form(seats=80, sign=True, sells_tobacco=True))
    assert departments(steps) == ["market-regulation", "fire-rescue", "urban-management", "tobacco-monopoly"]


def test_a_30_seat_restaurant_without_a_sign_needs_only_market_regulation():
    steps = route("open-restaurant", restaurant_form(seats=30, sign=False))
    assert departments(steps) == ["market-regulation"]
    assert steps[0].approvals == ["business-licence", "food-business-permit"]


def test_fire_safety_starts_above_50_seats_or_above_200_square_metres():
    assert "fire-rescue" not in departments(route("open-restaurant", restaurant_form(seats=50, sign=False)))
    assert "fire-rescue" in departments(route("open-restaurant", restaurant_form(seats=51, sign=False)))
    assert "fire-rescue" in departments(route("open-restaurant", restaurant_form(seats=20, floor_area_m2=201)))
    assert "fire-rescue" in departments(route("open-restaurant", restaurant_form(seats=20, floor_area_m2=200.5)))


def test_tobacco_retail_waits_for_the_business_licence_and_is_due_after_it():
    steps = {s.department: s for s in route("open-restaurant", restaurant_form(seats=30, sells_tobacco=True))}
    assert steps["tobacco-monopoly"].needs == ["business-licence"]
    # 3 working days for market regulation, then 5 for tobacco: Mon 30 Nov + 8 = Thu 10 Dec.
    assert steps["tobacco-monopoly"].due_at == datetime(2026, 12, 10, 9, 0, tzinfo=CALENDAR.zone)
    assert steps["market-regulation"].due_at == datetime(2026, 12, 3, 9, 0, tzinfo=CALENDAR.zone)


def test_a_small_guesthouse_needs_no_fire_design_review_and_a_tiny_one_no_opening_check():
    form = {"business_name": "山居", "address": "张家界市武陵源区 1 号", "rooms": 6, "has_outdoor_sign": False}
    large = departments(route("open-guesthouse", {**form, "floor_area_m2": 320}))
    small = departments(route("open-guesthouse", {**form, "floor_area_m2": 120}))
    tiny = departments(route("open-guesthouse", {**form, "floor_area_m2": 45}))
    assert "housing-construction" in large and "fire-rescue" in large and len(large) == 7
    assert "housing-construction" not in small and "fire-rescue" in small
    assert "fire-rescue" not in tiny and "housing-construction" not in tiny


def test_a_newborn_route_is_a_chain_from_the_birth_certificate():
    form = {
        "child_name": "小湘",
        "birth_date": "2026-11-20",
        "birth_hospital": "湖南省妇幼保健院",
        "household_of": "mother",
        "mother_insured": True,
    }
    steps = {s.department: s for s in route("newborn", form)}
    assert len(steps) == 5
    assert steps["health"].needs == []
    assert steps["public-security"].needs == ["birth-medical-certificate"]
    assert steps["medical-security"].needs == ["household-registration"]
    assert steps["maternity-insurance"].needs == ["birth-medical-certificate"]
    assert "maternity-insurance" not in departments(route("newborn", {**form, "mother_insured": False}))


def test_start_business_steps_all_take_the_business_licence():
    form = {
        "company_name": "长沙湘江科技有限公司",
        "company_type": "limited_liability",
        "registered_capital_cny": 1_000_000,
        "address": "长沙市岳麓区麓谷大道 1 号",
        "employees": 0,
        "opens_provident_fund": False,
    }
    steps = route("start-business", form)
    assert departments(steps) == ["market-regulation", "public-security", "taxation", "bank"]
    assert all(step.needs == ["business-licence"] for step in steps[1:])


def test_only_the_materials_the_route_reads_are_asked_for():
    small = route("open-restaurant", restaurant_form(seats=30, sign=False))
    assert materials_needed(RESTAURANT, small) == ["applicant-identity", "premises-proof", "food-safety-plan"]
    full = route("open-restaurant", restaurant_form(seats=80, sign=True))
    assert materials_needed(RESTAURANT, full) == [
        "applicant-identity",
        "premises-proof",
        "food-safety-plan",
        "floor-plan",
        "sign-design",
    ]

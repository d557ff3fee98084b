"""Conditions over a form, evaluated with only what they read converted for the evaluator:
the answers are those over the whole form, and a condition that may read any field (an index,
a macro, the form's size) gets the whole form."""

from __future__ import annotations

import pytest

from onestep_contracts.expressions import Condition, Facts

FORM = {
    "seats": 80,
    "floor_area_m2": 120.0,
    "has_outdoor_sign": True,
    "food_categories": ["hot_meals", "drinks"],
    "business_name": "Xiangjiang Noodles",
    "address": {"city": "Changsha", "street": "Wuyi Avenue 1"},
}
MATERIALS = ["business-licence", "floor-plan"]

CONDITIONS = [
    "form.seats > 50 || form.floor_area_m2 > 200",
    "form.has_outdoor_sign",
    'form . address . city == "Changsha"',
    "has(form.sells_tobacco) && form.sells_tobacco",
    "form.employees > 0",  # not in the form: cannot be evaluated, so false
    '"fire-plan" in materials',
    '"business-licence" in materials && form.seats > 10',
    'form["seats"] > 50',
    "size(form) > 5",
    'form.all(field, field != "")',
    'form.business_name == "form"',
]


@pytest.mark.parametrize("source", CONDITIONS)
def test_a_condition_holds_over_what_it_reads_as_over_the_whole_form(source):
    condition = Condition(source)
    whole = Facts(FORM, materials=MATERIALS)
    read = Facts(FORM, read_by=[condition], materials=MATERIALS)
    assert condition.holds(read) == condition.holds(whole) == condition.holds(FORM, materials=MATERIALS)


def test_only_the_fields_and_names_the_conditions_read_are_converted():
    by_fields = [Condition("form.seats > 50 || form.floor_area_m2 > 200"), Condition("form.has_outdoor_sign")]
    assert Facts(FORM, read_by=by_fields, materials=MATERIALS).context.variables == {
        "form": {"seats": 80, "floor_area_m2": 120.0, "has_outdoor_sign": True}
    }
    with_materials = [*by_fields, Condition('"fire-plan" in materials')]
    assert set(Facts(FORM, read_by=with_materials, materials=MATERIALS).context.variables) == {"form", "materials"}
    with_an_index = [*by_fields, Condition('form["address"] != null')]
    assert Facts(FORM, read_by=with_an_index).context.variables["form"] == FORM

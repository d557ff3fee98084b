"""Intake reads request bodies as JSON is defined: the same values as Python's json module for
every JSON text, and a refusal, with where, for what only Python's module reads."""

from __future__ import annotations

import json

import pytest

from onestep_intake.entrypoints.strict_json import NotJson, parse

from ..scenarios import restaurant_application


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(restaurant_application()),  # Chinese text escaped as \\uXXXX
        json.dumps(restaurant_application(), ensure_ascii=False),
        '{"big": 123456789012345678901234567890, "tiny": 1e-400, "pair": "\\ud83d\\ude00", "n": null}',
        '[1.5, -0.0, 1e308, "a/b~c", {"": true}]',
        '{"a": 1, "a": 2}',
    ],
)
def test_every_json_text_reads_as_pythons_json_module_reads_it(text):
    assert parse(text.encode()) == json.loads(text)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", '"\\ud800"', '"\\udc00x"'])
def test_what_only_pythons_module_reads_is_refused(literal):
    text = f'{{"form": {{"floor_area_m2": {literal}}}}}'
    json.loads(text)  # Python's module reads it
    with pytest.raises(NotJson) as refused:
        parse(text.encode())
    ((pointer, detail),) = refused.value.problems
    assert pointer == "#" and "line 1" in detail


def test_every_number_beyond_a_doubles_range_is_named_by_its_pointer():
    text = '{"form": {"floor_area_m2": 1e999, "a/b~c": [1, -1e400]}, "seats": 30}'
    assert json.loads(text)["form"]["floor_area_m2"] == float("inf")  # what Python's module made of it
    with pytest.raises(NotJson) as refused:
        parse(text.encode())
    assert [pointer for pointer, _ in refused.value.problems] == ["#/form/floor_area_m2", "#/form/a~1b~0c/1"]


def test_a_byte_order_mark_is_passed_over_and_text_that_is_not_utf8_is_refused():
    assert parse(b'\xef\xbb\xbf{"seats": 30}') == {"seats": 30}
    with pytest.raises(NotJson):
        parse(b'{"name": "\xff"}')
    with pytest.raises(NotJson):
        parse('{"name": "x"}'.encode("utf-16"))

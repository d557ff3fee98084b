"""A sample application for the local tools (`make up`'s welcome, the benchmark): a small
restaurant in Changsha with a sample applicant."""

from __future__ import annotations

from typing import Any


def restaurant(materials: list[dict[str, str]], **form: Any) -> dict[str, Any]:
    """`materials`: [{code, sha256}] already uploaded; `form` changes the form's answers."""
    return {
        "item": "open-restaurant",
        "region": "430102",
        "applicant": {
            "name": "李湘",
            "id_type": "resident_id",
            "id_number": "430102199001011234",
            "phone": "13800000000",
        },
        "form": {
            "business_name": "湘味小馆",
            "address": "长沙市芙蓉区五一大道 100 号",
            "seats": 30,
            "floor_area_m2": 80,
            "has_outdoor_sign": False,
            "sells_tobacco": False,
            "food_categories": ["hot_meals"],
            **form,
        },
        "materials": materials,
    }

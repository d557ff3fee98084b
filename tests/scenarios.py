"""Builders for the domain's scenarios: restaurants, their applicants and materials."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

RESTAURANT_MATERIALS = ["applicant-identity", "premises-proof", "food-safety-plan", "floor-plan", "sign-design"]


def restaurant_form(*, seats: int, sign: bool, **changes: Any) -> dict[str, Any]:
    form = {
        "business_name": "湘味小馆 Xiang Flavour",
        "address": "长沙市芙蓉区五一大道 100 号",
        "seats": seats,
        "floor_area_m2": 120.0,
        "has_outdoor_sign": sign,
        "food_categories": ["hot_meals", "drinks"],
    }
    form.update(changes)
    return form


def material_bytes(code: str) -> bytes:
    return f"%PDF-1.7 scanned {code}".encode()


def material_refs(codes: list[str] = RESTAURANT_MATERIALS) -> list[dict[str, str]]:
    return [{"code": code, "sha256": hashlib.sha256(material_bytes(code)).hexdigest()} for code in codes]


def restaurant_application(
    *, seats: int = 30, sign: bool = False, region: str = "430102", **changes: Any
) -> dict[str, Any]:
    body = {
        "item": "open-restaurant",
        "region": region,
        "applicant": {
            "name": "李湘",
            "id_type": "resident_id",
            "id_number": "430102199001011234",
            "phone": "13800000000",
        },
        "form": restaurant_form(seats=seats, sign=sign),
        "materials": material_refs(),
    }
    body.update(changes)
    return body


def new_key() -> str:
    return str(uuid.uuid4())

"""Administrative region codes (GB/T 2260): six digits, province + city + county."""

import re

# The two-digit province-level codes of GB/T 2260.
PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
_SIX_DIGITS = re.compile(r"^\d{6}$")


def region_problem(code: object) -> str | None:
    """Why the code is not a region code, or None when it is one."""
    if not isinstance(code, str) or not _SIX_DIGITS.match(code):
        return "must be a six-digit GB/T 2260 region code, e.g. 430102"
    if code[:2] not in PROVINCES:
        return f"{code[:2]} is not a province-level code of GB/T 2260"
    return None

"""A page of a rebuild names so many cases at most: the fold holds the rows of every case its
page names, and a burst's openings name a case an event."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from onestep_ledger.replay import within_cases


def test_a_page_ends_before_the_event_of_one_case_too_many():
    a, b, c = (uuid.uuid4() for _ in range(3))
    page = [SimpleNamespace(id=n, originator_id=case) for n, case in enumerate([a, b, a, c, b, a], start=1)]
    assert [n.id for n in within_cases(page, 2)] == [1, 2, 3]
    assert within_cases(page, 3) == page
    assert within_cases([], 1) == []

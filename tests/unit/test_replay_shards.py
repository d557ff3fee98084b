"""A rebuilding process's share of the cases, told by an id's last hex digit where the count of
processes divides 16 (the store then picks the share): the same cases as the remainder."""

from __future__ import annotations

import uuid

import pytest

from onestep_ledger.replay import Shard


@pytest.mark.parametrize("count", [1, 2, 4, 8, 16])
def test_the_last_digit_picks_the_cases_the_remainder_does(count):
    ids = [uuid.uuid4() for _ in range(2_000)]
    for index in range(count):
        shard = Shard(index, count)
        assert [i for i in ids if i.hex[-1] in shard.id_ends] == [i for i in ids if shard.holds(i)]


@pytest.mark.parametrize("count", [3, 5, 6, 32])
def test_a_count_that_does_not_divide_16_has_no_digits_and_is_picked_by_remainder(count):
    assert all(Shard(index, count).id_ends is None for index in range(count))

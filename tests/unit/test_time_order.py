"""Which partitions a consumer reading in time order leaves out of its poll: those more than the
skew ahead of the furthest-behind partition that still has records waiting."""

from onestep_runtime.time_order import ahead


def test_nothing_waiting_holds_nothing_back():
    assert ahead({}, 1000) == set()


def test_partitions_within_the_skew_are_all_polled():
    assert ahead({"applications-0": 10_000, "decisions-0": 11_000, "decisions-1": 10_500}, 1000) == set()


def test_a_partition_beyond_the_skew_of_the_furthest_behind_is_held_back():
    waiting = {"applications-0": 10_000, "decisions-0": 11_001, "decisions-1": 10_999, "applications-1": 40_000}
    assert ahead(waiting, 1000) == {"decisions-0", "applications-1"}


def test_the_furthest_behind_is_never_held_back():
    waiting = {"applications-0": 5_000, "decisions-0": 5_000}
    assert ahead(waiting, 0) == set()
    assert ahead({"decisions-0": 90_000}, 0) == set()

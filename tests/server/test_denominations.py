"""A paper share in vouchers: the fewest, summing exactly to the share, for any set of values;
and, for the canonical sets a caisse uses, the greedy hand method is that optimum."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.caisse.denominations import (
    DEFAULT_CENTS,
    DenominationError,
    check_values,
    greedy,
    greedy_is_optimal,
    split,
)


def brute_force_fewest(cents: int, values: tuple[int, ...]) -> int:
    """Fewest vouchers by trying every count of each value (small amounts only)."""
    smallest = min(values)
    best = None
    ranges = [range(cents // v + 1) for v in values]
    for counts in itertools.product(*ranges):
        made = sum(n * v for n, v in zip(counts, values, strict=True))
        rest = cents - made
        if 0 <= rest < smallest:
            total = sum(counts) + (1 if rest else 0)
            best = total if best is None else min(best, total)
    assert best is not None
    return best


@pytest.mark.parametrize(
    ("cents", "vouchers"),
    [
        (15000, [2000] * 7 + [1000]),
        (3750, [2000, 1000, 500, 200, 50]),  # the remainder: one last small voucher
        (100, [100]),  # below the smallest value: one voucher of the share
        (0, []),
        (1100, [1000, 100]),
        (7500, [2000, 2000, 2000, 1000, 500]),
        (4999, [2000, 2000, 500, 200, 200, 99]),
    ],
)
def test_default_values_20_10_5_2(cents: int, vouchers: list[int]) -> None:
    assert split(cents, DEFAULT_CENTS) == vouchers
    assert sum(vouchers) == cents


@pytest.mark.parametrize("values", [DEFAULT_CENTS, (2000, 1000, 500, 200, 100), (5000, 2000, 1000)])
def test_greedy_is_the_optimum_for_canonical_sets(values: tuple[int, ...]) -> None:
    # every amount up to 300 €, cent by cent: no paper share is above that
    assert greedy_is_optimal(values, 30_000) is None


def test_greedy_is_not_optimal_for_every_set_and_split_still_is() -> None:
    values = (1200, 900, 100)
    assert greedy_is_optimal(values, 5_000) == 1800
    assert greedy(1800, values) == [1200] + [100] * 6
    assert split(1800, values) == [900, 900]


@given(
    values=st.lists(st.integers(1, 40), min_size=1, max_size=4, unique=True),
    cents=st.integers(0, 120),
)
def test_split_is_exact_and_fewest_against_brute_force(values: list[int], cents: int) -> None:
    ordered = check_values(values)
    vouchers = split(cents, ordered)
    assert sum(vouchers) == cents  # exact to the cent
    assert all(v in ordered for v in vouchers[:-1])
    if vouchers and vouchers[-1] not in ordered:
        assert vouchers[-1] < min(ordered)  # only one remainder voucher, below the smallest value
    assert sum(1 for v in vouchers if v not in ordered) <= 1
    assert len(vouchers) == brute_force_fewest(cents, ordered)
    assert vouchers == sorted(vouchers, reverse=True)


@given(st.integers(0, 1_000_000))
def test_any_share_sums_exactly_with_the_default_values(cents: int) -> None:
    vouchers = split(cents, DEFAULT_CENTS)
    assert sum(vouchers) == cents
    assert len(vouchers) == len(greedy(cents, DEFAULT_CENTS))


@pytest.mark.parametrize("bad", [[], [0], [100, 100], ["10"], [10**6], list(range(1, 20))])
def test_unusable_values_are_refused(bad) -> None:
    with pytest.raises(DenominationError):
        check_values(bad)

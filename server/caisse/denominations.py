"""A paper share in vouchers: the caisse's denominations, the fewest vouchers, exact to the cent.

Pure: no I/O. The caisse sets its face values (``voucher_denominations_cents``,
e.g. 20/10/5/2 €). A share is paid as vouchers of those values plus, when the
values cannot make the share exactly, one last *remainder* voucher of less than
the smallest value (``37,50 €`` → 20 + 10 + 5 + 2 + 0,50). Among all such ways
``split`` takes one with the fewest vouchers; among those, the largest
remainder-free part, then the largest values first (what a volunteer counting
by hand would do). The sum is always the share, to the cent.

``split`` solves it exactly for any set (``exact_counts``: fewest vouchers for
each multiple of the values' greatest common divisor, a dynamic programme over
the share alone). ``greedy`` is the hand method (largest value first, the rest
as the remainder voucher); ``greedy_is_optimal`` compares both on every amount
up to a bound, which is how the tests show that for canonical sets such as
20/10/5/2 and 20/10/5/2/1 the greedy split *is* the optimal one, while for a
set like 12/9/1 it is not (18 € is 9 + 9, not 12 + 1 × 6).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import cache

DEFAULT_CENTS = (2000, 1000, 500, 200)
MAX_VALUES = 12
MAX_VALUE_CENTS = 100_000
MAX_SHARE_CENTS = 10_000_000


class DenominationError(ValueError):
    """The caisse's face values are not usable; the message says why."""


def check_values(values: Iterable[int] | None) -> tuple[int, ...]:
    """The face values, largest first; at least one, each a whole number of cents."""
    if values is None:
        return DEFAULT_CENTS
    try:
        items = list(values)
    except TypeError:
        raise DenominationError("voucher_denominations_cents must be a list of cents") from None
    if not 1 <= len(items) <= MAX_VALUES:
        raise DenominationError(f"voucher_denominations_cents has 1 to {MAX_VALUES} values")
    for v in items:
        if type(v) is not int or not 1 <= v <= MAX_VALUE_CENTS:
            raise DenominationError(
                f"a voucher value is a whole number of cents from 1 to {MAX_VALUE_CENTS}"
            )
    if len(set(items)) != len(items):
        raise DenominationError("voucher_denominations_cents lists a value twice")
    return tuple(sorted(items, reverse=True))


def _check_share(cents: int) -> None:
    if type(cents) is not int or not 0 <= cents <= MAX_SHARE_CENTS:
        raise DenominationError(f"a share is a whole number of cents from 0 to {MAX_SHARE_CENTS}")


def greedy(cents: int, values: Sequence[int]) -> list[int]:
    """The hand method: the largest value that fits, again and again; the rest in one voucher."""
    _check_share(cents)
    out = []
    left = cents
    for v in sorted(values, reverse=True):
        n, left = divmod(left, v)
        out.extend([v] * n)
    if left:
        out.append(left)
    return out


@cache
def _unit(values: tuple[int, ...]) -> int:
    return math.gcd(*values)


class _Table:
    """Fewest vouchers for each multiple of the unit, grown on demand (one per value set)."""

    def __init__(self, values: tuple[int, ...]) -> None:
        self.values = values
        self.unit = _unit(values)
        self.steps = [v // self.unit for v in values]  # largest first
        self.best: list[int] = [0]  # best[i]: fewest vouchers making i units; -1: impossible

    def grow(self, units: int) -> None:
        best, steps = self.best, self.steps
        for i in range(len(best), units + 1):
            found = -1
            for s in steps:
                if s <= i and best[i - s] >= 0 and (found < 0 or best[i - s] + 1 < found):
                    found = best[i - s] + 1
            best.append(found)

    def make(self, units: int) -> list[int]:
        """The representation of ``units`` with the fewest values, largest values first."""
        self.grow(units)
        out, i = [], units
        while i:
            for s, v in zip(self.steps, self.values, strict=True):
                if s <= i and self.best[i - s] == self.best[i] - 1 and self.best[i - s] >= 0:
                    out.append(v)
                    i -= s
                    break
        return out


_TABLES: dict[tuple[int, ...], _Table] = {}


def _table(values: tuple[int, ...]) -> _Table:
    table = _TABLES.get(values)
    if table is None:
        table = _TABLES[values] = _Table(values)
    return table


def exact_counts(cents: int, values: Sequence[int]) -> list[int]:
    """Fewest vouchers making exactly ``k`` units for k = 0..cents // unit (-1: impossible)."""
    table = _table(check_values(values))
    units = cents // table.unit
    table.grow(units)
    return table.best[: units + 1]


def split(cents: int, values: Sequence[int]) -> list[int]:
    """``cents`` as vouchers: the fewest, summing exactly to ``cents``, largest first.

    Each voucher is one of ``values``, except at most one last voucher smaller than
    the smallest value (the remainder). 0 cents: no voucher.
    """
    _check_share(cents)
    table = _table(check_values(values))
    smallest = min(table.values)
    if cents == 0:
        return []
    unit = table.unit
    top = cents // unit
    table.grow(top)
    best = table.best
    # The remainder-free part is k units with cents - k*unit < smallest: scan that window.
    low = max(0, -(-(cents - smallest + 1) // unit))
    chosen, chosen_count = -1, -1
    for k in range(top, low - 1, -1):
        if best[k] < 0:
            continue
        count = best[k] + (1 if cents - k * unit else 0)
        if chosen < 0 or count < chosen_count:
            chosen, chosen_count = k, count
    assert chosen >= 0  # k = 0 is always possible when cents < smallest; else some k fits
    out = table.make(chosen)
    rest = cents - chosen * unit
    if rest:
        out.append(rest)
    return out


def greedy_is_optimal(values: Sequence[int], up_to_cents: int) -> int | None:
    """The first amount up to ``up_to_cents`` where the hand method uses more vouchers; None."""
    checked = check_values(values)
    for cents in range(up_to_cents + 1):
        if len(greedy(cents, checked)) > len(split(cents, checked)):
            return cents
    return None


__all__ = [
    "DEFAULT_CENTS",
    "DenominationError",
    "check_values",
    "exact_counts",
    "greedy",
    "greedy_is_optimal",
    "split",
]

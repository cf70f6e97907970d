"""Allowances by household: rules as data, a household's monthly amount, each adult's share.

Pure: no I/O, no clock. A caisse's ``allowance_rules`` (``config.json``) is a list
of versions, each taking effect on the first day of its month (``"from":
"YYYY-MM"``); the version in force for a credential period is the latest one
whose ``from`` is not after it. A caisse without rules keeps the flat
``allowance_cents`` per member (``legacy_rule``).

The pilots it covers::

    Gironde   150 € + 75 € per extra person   {"first_adult_cents": 15000,
                                               "extra_adult_cents": 7500, "child_cents": 7500}
    Geneva    150 per adult, a child half      {15000, 15000, 7500}
    Grenoble  100/150/200 for 1/2/3+ people    {10000, 5000, 5000, "max_household_cents": 20000}

The household's allowance is shared among its adults who hold a wallet
(``split_cents``): equal shares by default, or weights the household chooses;
the shares always add up to the household's allowance to the cent.

The budget simulation reuses exactly these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
RULE_FIELDS = {
    "from",
    "first_adult_cents",
    "extra_adult_cents",
    "child_cents",
    "max_household_cents",
}
MAX_PEOPLE = 30
MAX_CENTS = 10_000_000  # 100,000 € a month: far above any household's allowance
LEGACY_FROM = "0000-01"  # the flat allowance of a caisse before (or without) rules


class AllowanceError(ValueError):
    """An allowance rule or a household shape is not valid; the message says why."""


@dataclass(frozen=True, slots=True)
class AllowanceRule:
    """One version of the caisse's allowance rule, in force from ``from_period`` on."""

    from_period: str
    first_adult_cents: int
    extra_adult_cents: int
    child_cents: int
    max_household_cents: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.from_period,
            "first_adult_cents": self.first_adult_cents,
            "extra_adult_cents": self.extra_adult_cents,
            "child_cents": self.child_cents,
            "max_household_cents": self.max_household_cents,
        }


@dataclass(frozen=True, slots=True)
class Shape:
    """Who a household is: adults (at least one) and children."""

    adults: int
    children: int = 0

    @property
    def people(self) -> int:
        return self.adults + self.children


def check_period(value: Any, what: str = "period") -> str:
    if not isinstance(value, str) or not PERIOD.match(value):
        raise AllowanceError(f"{what} must be a month written YYYY-MM, not {value!r:.40}")
    return value


def _cents(document: Mapping[str, Any], name: str, *, optional: bool = False) -> int | None:
    value = document.get(name)
    if value is None and optional:
        return None
    if type(value) is not int or not 0 <= value <= MAX_CENTS:
        raise AllowanceError(f"{name} must be a whole number of cents from 0 to {MAX_CENTS}")
    return value


def parse_rule(document: Any) -> AllowanceRule:
    """One rule from its JSON object; unknown keys are refused (a typo is not ignored)."""
    if not isinstance(document, Mapping):
        raise AllowanceError("an allowance rule must be a JSON object")
    unknown = set(document) - RULE_FIELDS
    if unknown:
        raise AllowanceError(f"unknown allowance rule settings: {', '.join(sorted(unknown))}")
    first = _cents(document, "first_adult_cents")
    extra = _cents(document, "extra_adult_cents")
    child = _cents(document, "child_cents")
    cap = _cents(document, "max_household_cents", optional=True)
    assert first is not None and extra is not None and child is not None
    if first == 0:
        raise AllowanceError("first_adult_cents must be positive")
    if cap is not None and cap < first:
        raise AllowanceError("max_household_cents must be at least first_adult_cents")
    return AllowanceRule(check_period(document.get("from"), "from"), first, extra, child, cap)


def parse_rules(documents: Any) -> tuple[AllowanceRule, ...]:
    """The caisse's rule versions, ordered by the month they take effect (one per month)."""
    if documents is None:
        return ()
    if not isinstance(documents, list | tuple):
        raise AllowanceError("allowance_rules must be a list of rules")
    rules = sorted((parse_rule(d) for d in documents), key=lambda r: r.from_period)
    months = [r.from_period for r in rules]
    if len(set(months)) != len(months):
        raise AllowanceError("two allowance rules take effect in the same month")
    return tuple(rules)


def legacy_rule(allowance_cents: int) -> AllowanceRule:
    """A caisse without rules: every adult holder gets the flat allowance, children nothing."""
    return AllowanceRule(LEGACY_FROM, allowance_cents, allowance_cents, 0, None)


def rule_for(rules: Sequence[AllowanceRule], period: str) -> AllowanceRule | None:
    """The version in force for ``period`` (``YYYY-MM``): the latest not after it."""
    found = None
    for rule in rules:
        if rule.from_period <= period:
            found = rule
    return found


def check_shape(adults: Any, children: Any = 0) -> Shape:
    if type(adults) is not int or not 1 <= adults <= MAX_PEOPLE:
        raise AllowanceError(f"a household has 1 to {MAX_PEOPLE} adults")
    if type(children) is not int or not 0 <= children <= MAX_PEOPLE:
        raise AllowanceError(f"a household has 0 to {MAX_PEOPLE} children")
    return Shape(adults, children)


def household_allowance(rule: AllowanceRule, shape: Shape) -> int:
    """The household's monthly allowance in cents under ``rule``."""
    total = (
        rule.first_adult_cents
        + rule.extra_adult_cents * (shape.adults - 1)
        + rule.child_cents * shape.children
    )
    if rule.max_household_cents is not None:
        total = min(total, rule.max_household_cents)
    return total


def split_cents(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` shared in proportion to ``weights``, in whole cents adding up to ``total``.

    Largest remainder: each share is rounded down, and the cents left go one by one
    to the largest remainders (ties to the earlier holder), so two equal weights never
    differ by more than one cent. No weight, or all zero: the first holder takes all
    (a household always has somebody to pay).
    """
    if total < 0:
        raise AllowanceError("an allowance cannot be negative")
    if not weights:
        return []
    if any(type(w) is not int or w < 0 for w in weights):
        raise AllowanceError("share weights must be non-negative whole numbers")
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [total] + [0] * (len(weights) - 1)
    shares = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def shares(rule: AllowanceRule, shape: Shape, holders: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Each holder's share (member id → cents) of the household's allowance.

    ``holders`` are (member id, weight) of the household's adults who hold a wallet,
    in a stable order (the caller sorts them).
    """
    people = list(holders)
    split = split_cents(household_allowance(rule, shape), [w for _, w in people])
    return {member_id: cents for (member_id, _), cents in zip(people, split, strict=True)}

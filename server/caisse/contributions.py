"""Contributions according to means: schemes as data, floors, suggestions, what is owed.

Pure: no I/O, no clock. A caisse's ``contribution_schemes`` (``config.json``) is a
list of versions, each in force from its month (``"from": "YYYY-MM"``), like the
allowance rules. Three kinds:

``free``
    The household chooses any amount at or above its floor; a suggestion grid
    (disposable income per consumption unit → suggested amount) helps it choose.
    The commonest pilot practice.
``proportional``
    ``rate_bp`` basis points (1/100 %) of declared net monthly income, optionally
    of the income per consumption unit (``per_consumption_unit``), between the
    floor and an optional ``cap_cents``.
``brackets``
    Income bands (``up_to_income_cents``, the last one ``null``) → an amount.

The floor is ``floor_household_cents`` plus ``floor_extra_person_cents`` for each
person after the first (Gironde: 10 € + 5 €). A CPAS attestation ("reduced
contribution") stands in for income: the household owes ``cpas_cents`` (by
default its floor), and its income is never asked.

``assess`` turns a short self-assessment into a suggestion; ``check_choice``
says whether what the household chose may be owed; ``allocate`` spreads what a
household paid over what it owed, oldest month first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.caisse.allowance import MAX_CENTS, AllowanceError, Shape, check_period

KINDS = ("free", "proportional", "brackets")
SCHEME_FIELDS = {
    "from",
    "kind",
    "floor_household_cents",
    "floor_extra_person_cents",
    "suggestions",
    "rate_bp",
    "per_consumption_unit",
    "cap_cents",
    "brackets",
    "cpas_cents",
}
BAND_FIELDS = {"up_to_income_cents", "cents"}
CPAS_BAND = "cpas"


class ContributionError(ValueError):
    """A scheme, a self-assessment or a chosen amount is not valid; the message says why."""


@dataclass(frozen=True, slots=True)
class Band:
    """Up to ``up_to_income_cents`` (None: no upper bound) → ``cents``."""

    up_to_income_cents: int | None
    cents: int


@dataclass(frozen=True, slots=True)
class Scheme:
    from_period: str
    kind: str
    floor_household_cents: int = 0
    floor_extra_person_cents: int = 0
    suggestions: tuple[Band, ...] = ()
    rate_bp: int = 0
    per_consumption_unit: bool = False
    cap_cents: int | None = None
    brackets: tuple[Band, ...] = ()
    cpas_cents: int | None = None

    @property
    def keeps_income(self) -> bool:
        """Only a proportional scheme needs the declared income kept (to recompute it)."""
        return self.kind == "proportional"


@dataclass(frozen=True, slots=True)
class SelfAssessment:
    """What a household declares: net monthly income, fixed costs, or a CPAS attestation."""

    shape: Shape
    income_cents: int | None = None
    fixed_costs_cents: int = 0
    cpas: bool = False


@dataclass(frozen=True, slots=True)
class Assessment:
    """The scheme's answer: the floor, the suggestion (or the amount due) and its band."""

    floor_cents: int
    suggested_cents: int
    band: str | None
    binding: bool  # True: the scheme fixes the amount (proportional, brackets, CPAS)


def _int(document: Mapping[str, Any], name: str, default: int | None = 0) -> int | None:
    value = document.get(name, default)
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= MAX_CENTS:
        raise ContributionError(f"{name} must be a whole number from 0 to {MAX_CENTS}")
    return value


def _bands(raw: Any, name: str) -> tuple[Band, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise ContributionError(f"{name} must be a non-empty list of bands")
    bands = []
    for item in raw:
        if not isinstance(item, Mapping) or set(item) - BAND_FIELDS:
            raise ContributionError(f"each of {name} is {{'up_to_income_cents', 'cents'}}")
        bands.append(Band(_int(item, "up_to_income_cents", None), _int(item, "cents") or 0))
    limits = [b.up_to_income_cents for b in bands]
    if limits[-1] is not None or None in limits[:-1]:
        raise ContributionError(f"the last of {name} (and only it) has up_to_income_cents null")
    bounded = [x for x in limits if x is not None]
    if bounded != sorted(set(bounded)):
        raise ContributionError(f"{name} must go up in income")
    return tuple(bands)


def parse_scheme(document: Any) -> Scheme:
    if not isinstance(document, Mapping):
        raise ContributionError("a contribution scheme must be a JSON object")
    unknown = set(document) - SCHEME_FIELDS
    if unknown:
        raise ContributionError(f"unknown contribution settings: {', '.join(sorted(unknown))}")
    kind = document.get("kind")
    if kind not in KINDS:
        raise ContributionError(f"kind must be one of {', '.join(KINDS)}")
    try:
        period = check_period(document.get("from"), "from")
    except AllowanceError as exc:
        raise ContributionError(str(exc)) from None
    per_cu = document.get("per_consumption_unit", False)
    if not isinstance(per_cu, bool):
        raise ContributionError("per_consumption_unit must be true or false")
    scheme = Scheme(
        from_period=period,
        kind=kind,
        floor_household_cents=_int(document, "floor_household_cents") or 0,
        floor_extra_person_cents=_int(document, "floor_extra_person_cents") or 0,
        suggestions=_bands(document.get("suggestions"), "suggestions"),
        rate_bp=_int(document, "rate_bp") or 0,
        per_consumption_unit=per_cu,
        cap_cents=_int(document, "cap_cents", None),
        brackets=_bands(document.get("brackets"), "brackets"),
        cpas_cents=_int(document, "cpas_cents", None),
    )
    if kind == "proportional" and not 0 < scheme.rate_bp <= 10_000:
        raise ContributionError("a proportional scheme needs rate_bp from 1 to 10000")
    if kind == "brackets" and not scheme.brackets:
        raise ContributionError("a brackets scheme needs its brackets")
    return scheme


def parse_schemes(documents: Any) -> tuple[Scheme, ...]:
    if documents is None:
        return ()
    if not isinstance(documents, list | tuple):
        raise ContributionError("contribution_schemes must be a list of schemes")
    schemes = sorted((parse_scheme(d) for d in documents), key=lambda s: s.from_period)
    months = [s.from_period for s in schemes]
    if len(set(months)) != len(months):
        raise ContributionError("two contribution schemes take effect in the same month")
    return tuple(schemes)


def scheme_for(schemes: Sequence[Scheme], period: str) -> Scheme | None:
    found = None
    for scheme in schemes:
        if scheme.from_period <= period:
            found = scheme
    return found


def floor_cents(scheme: Scheme, shape: Shape) -> int:
    """The least a household of this shape may owe."""
    return scheme.floor_household_cents + scheme.floor_extra_person_cents * (shape.people - 1)


def consumption_units_tenths(shape: Shape) -> int:
    """The modified OECD scale in tenths: 10 for the first adult, 5 per other adult, 3 a child."""
    return 10 + 5 * (shape.adults - 1) + 3 * shape.children


def _band(bands: Sequence[Band], income: int) -> tuple[int, Band]:
    for index, band in enumerate(bands):
        if band.up_to_income_cents is None or income <= band.up_to_income_cents:
            return index, band
    raise AssertionError("the last band has no upper bound")  # parse_scheme ensures it


def _check_income(value: Any, name: str) -> int:
    if type(value) is not int or not 0 <= value <= MAX_CENTS:
        raise ContributionError(f"{name} must be a whole number of cents from 0 to {MAX_CENTS}")
    return value


def assess(scheme: Scheme, declared: SelfAssessment) -> Assessment:
    """The floor and suggestion (or amount due) of a self-assessment under ``scheme``."""
    floor = floor_cents(scheme, declared.shape)
    if declared.cpas:
        reduced = floor if scheme.cpas_cents is None else scheme.cpas_cents
        return Assessment(min(floor, reduced), reduced, CPAS_BAND, True)
    if declared.income_cents is None:
        if scheme.kind == "free":
            return Assessment(floor, floor, None, False)
        raise ContributionError(f"a {scheme.kind} scheme needs the declared income")
    income = _check_income(declared.income_cents, "the declared income")
    costs = _check_income(declared.fixed_costs_cents, "the fixed costs")
    units = consumption_units_tenths(declared.shape)
    if scheme.kind == "free":
        disposable_per_unit = max(0, income - costs) * 10 // units
        if not scheme.suggestions:
            return Assessment(floor, floor, None, False)
        index, band = _band(scheme.suggestions, disposable_per_unit)
        return Assessment(floor, max(floor, band.cents), f"s{index + 1}", False)
    base = income * 10 // units if scheme.per_consumption_unit else income
    if scheme.kind == "proportional":
        amount = (base * scheme.rate_bp + 5_000) // 10_000  # rounded to the nearest cent
        if scheme.cap_cents is not None:
            amount = min(amount, scheme.cap_cents)
        return Assessment(floor, max(floor, amount), None, True)
    index, band = _band(scheme.brackets, base)
    return Assessment(floor, max(floor, band.cents), f"b{index + 1}", True)


def check_choice(scheme: Scheme, shape: Shape, monthly_cents: Any, *, cpas: bool = False) -> int:
    """The amount a household chose, if the scheme accepts it (at or above its floor)."""
    if type(monthly_cents) is not int or not 0 <= monthly_cents <= MAX_CENTS:
        raise ContributionError(f"the monthly amount must be 0 to {MAX_CENTS} cents")
    floor = floor_cents(scheme, shape)
    if cpas:
        floor = min(floor, floor if scheme.cpas_cents is None else scheme.cpas_cents)
    if monthly_cents < floor:
        raise ContributionError(
            f"{monthly_cents} cents is below this household's floor of {floor} cents "
            f"({scheme.floor_household_cents} + {scheme.floor_extra_person_cents} per extra person)"
        )
    return monthly_cents


def allocate(dues: Sequence[tuple[str, int]], paid_cents: int) -> list[tuple[str, int, int]]:
    """(period, due, paid) for each period: what was paid covers the oldest month first.

    Whatever is left after the last month (an overpayment, a payment in advance) is
    counted on the last month, so its balance shows the household's credit; a
    negative total (a returned debit larger than what was paid) leaves all unpaid.
    """
    left = max(0, paid_cents)
    out = []
    for index, (period, due) in enumerate(dues):
        paid = left if index == len(dues) - 1 else min(due, left)
        left -= paid
        out.append((period, due, paid))
    return out


def next_period(period: str) -> str:
    """'2026-12' → '2027-01'."""
    year, month = int(period[:4]), int(period[5:])
    return f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"


def months(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` included (none if ``first`` is later)."""
    out = []
    period = first
    while period <= last:
        out.append(period)
        period = next_period(period)
    return out


def due_by_period(choices: Sequence[tuple[str, int]], last: str) -> list[tuple[str, int]]:
    """(period, due) from the first choice's month to ``last``, from (from_period, cents)
    choices in month order: each month owes the latest choice made for it."""
    if not choices or choices[0][0] > last:
        return []
    out = []
    index = 0
    for period in months(choices[0][0], last):
        while index + 1 < len(choices) and choices[index + 1][0] <= period:
            index += 1
        out.append((period, choices[index][1]))
    return out


def in_arrears(choices: Sequence[tuple[str, int]], paid_cents: int, period: str) -> bool:
    """True when a month two or more before ``period`` is not fully paid (the "suspend"
    policy: a contribution unpaid for more than a month)."""
    previous = period
    for _ in range(2):
        year, month = int(previous[:4]), int(previous[5:])
        previous = f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"
    lines = allocate(due_by_period(choices, previous), paid_cents)
    return any(paid < due for _, due, paid in lines)

"""Budget simulation: a caisse's money month by month, from households and rules.

Pure: no I/O, no clock. The allowance of each household and what it contributes
come from the caisse's own engines (``server.caisse.allowance`` and
``server.caisse.contributions``), so a scenario and the live caisse give the same
amounts for the same households. ``server.ledger.scenario`` reads a scenario file
(TOML) into a ``Scenario``; ``server.ledger.runway`` builds one from the live caisse.

Each month of the horizon::

    allowances    = Σ households present × their allowance   (× spent_bp / 10 000)
    contributions = Σ households present × their contribution (× collected_bp / 10 000)
    subsidies     = Σ each subsidy's share of the month (below)
    costs         = coordination + other costs (+ start-up costs in the first month)
    balance       = fund + Σ up to this month (contributions + subsidies − allowances − costs)

A yearly subsidy is spread over the months of each of its own years (counted from
its ``from`` month, by default the run's start): month ``k`` (0, 1, …) of the
subsidy receives ``c·(k+1)//12 − c·k//12`` cents, so any 12 consecutive months
from its start add up to exactly ``cents_per_year``. Paid ``quarterly`` or
``yearly``, the same monthly amounts arrive together on the first month of each
quarter or year of the subsidy (up to its ``until`` month); a one-off grant
(``cents_once``) arrives in its ``from`` month.

``runway_months`` counts the months, from the first, whose closing balance is at
or above zero before the first that is below (``None``: never below within the
horizon). ``solve_subsidy`` and ``solve_allowance`` answer a council's two
questions exactly; the tests check their answers by re-simulating them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from server.caisse import allowance, contributions
from server.caisse.allowance import AllowanceRule, Shape
from server.caisse.contributions import ContributionError, Scheme, SelfAssessment

SCHEDULES = ("monthly", "quarterly", "yearly")
MAX_MONTHS = 600  # fifty years: a horizon, not an eternity
MAX_COUNT = 1_000_000  # households in one group
MAX_MONEY = 100_000_000_000  # one billion euros, in cents
FULL_BP = 10_000
PPM = 1_000_000  # an allowance scale is found to a millionth


class SimulationError(ValueError):
    """A scenario the engine cannot run (a contribution the scheme refuses, …)."""


# -- months -----------------------------------------------------------------------------


def month_index(period: str) -> int:
    """'2027-01' → a month count (year × 12 + month − 1)."""
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def period_of(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_months(period: str, months: int) -> str:
    return period_of(month_index(period) + months)


# -- the scenario -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Group:
    """``count`` identical households, present from ``from_period`` to ``until`` (inclusive).

    What each contributes: ``contribution_cents`` (chosen, free schemes only), or
    the scheme's answer to ``declared_income_cents`` (and ``fixed_costs_cents``)
    or to a CPAS attestation (``cpas``).
    """

    count: int
    shape: Shape
    contribution_cents: int | None = None
    declared_income_cents: int | None = None
    fixed_costs_cents: int = 0
    cpas: bool = False
    label: str | None = None
    from_period: str | None = None
    until: str | None = None

    def present(self, period: str) -> bool:
        if self.from_period is not None and period < self.from_period:
            return False
        return self.until is None or period <= self.until


@dataclass(frozen=True, slots=True)
class Subsidy:
    name: str
    cents_per_year: int = 0
    cents_once: int = 0
    from_period: str | None = None
    until: str | None = None
    schedule: str = "monthly"


@dataclass(frozen=True, slots=True)
class Costs:
    coordination_cents_per_month: int = 0
    other_cents_per_month: int = 0
    start_up_cents: int = 0


@dataclass(frozen=True, slots=True)
class Run:
    start: str
    months: int = 12
    fund_cents: int = 0
    spent_bp: int = FULL_BP  # share of the allowances spent (paid out to shops)
    collected_bp: int = FULL_BP  # share of the contributions owed that is collected


@dataclass(frozen=True, slots=True)
class Scenario:
    rules: tuple[AllowanceRule, ...]
    run: Run
    schemes: tuple[Scheme, ...] = ()
    groups: tuple[Group, ...] = ()
    subsidies: tuple[Subsidy, ...] = ()
    costs: Costs = field(default_factory=Costs)
    title: str | None = None

    def periods(self) -> list[str]:
        first = month_index(self.run.start)
        return [period_of(first + k) for k in range(self.run.months)]


# -- one household, one subsidy, one month ---------------------------------------------


def household_contribution(scheme: Scheme | None, group: Group) -> int:
    """What one household of ``group`` owes a month under ``scheme`` (0 without a scheme).

    Raises ``ContributionError`` (the scheme's own words) when the scheme refuses it.
    """
    if scheme is None:
        return 0
    if group.contribution_cents is not None:
        if scheme.kind != "free":
            raise ContributionError(
                f"a {scheme.kind} scheme sets the amount from the income: give "
                "declared_income_cents (or cpas = true), not contribution_cents"
            )
        return contributions.check_choice(
            scheme, group.shape, group.contribution_cents, cpas=group.cpas
        )
    if group.declared_income_cents is None and not group.cpas:
        if scheme.kind == "free":
            raise ContributionError(
                "a free scheme needs what each household chooses (contribution_cents) "
                "or its income for the scheme's suggestion (declared_income_cents)"
            )
        raise ContributionError(f"a {scheme.kind} scheme needs declared_income_cents")
    declared = SelfAssessment(
        group.shape, group.declared_income_cents, group.fixed_costs_cents, group.cpas
    )
    return contributions.assess(scheme, declared).suggested_cents


def _monthly_share(cents_per_year: int, k: int) -> int:
    return cents_per_year * (k + 1) // 12 - cents_per_year * k // 12


def subsidy_in(subsidy: Subsidy, period: str, start: str) -> int:
    """The cents ``subsidy`` brings in ``period`` (its schedule anchored at its own start)."""
    first = month_index(subsidy.from_period or start)
    k = month_index(period) - first
    if k < 0 or (subsidy.until is not None and period > subsidy.until):
        return 0
    if subsidy.cents_once:
        return subsidy.cents_once if k == 0 else 0
    step = {"monthly": 1, "quarterly": 3, "yearly": 12}[subsidy.schedule]
    if k % step:
        return 0
    last = k + step - 1
    if subsidy.until is not None:
        last = min(last, month_index(subsidy.until) - first)
    return sum(_monthly_share(subsidy.cents_per_year, j) for j in range(k, last + 1))


# -- the result -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Month:
    period: str
    households: int
    allowances_cents: int
    contributions_cents: int
    subsidies_cents: int
    costs_cents: int
    balance_cents: int

    @property
    def in_cents(self) -> int:
        return self.contributions_cents + self.subsidies_cents

    @property
    def out_cents(self) -> int:
        return self.allowances_cents + self.costs_cents

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "households": self.households,
            "allowances_cents": self.allowances_cents,
            "contributions_cents": self.contributions_cents,
            "subsidies_cents": self.subsidies_cents,
            "costs_cents": self.costs_cents,
            "balance_cents": self.balance_cents,
        }


@dataclass(frozen=True, slots=True)
class GroupLine:
    """One household group: per household and month (in its first month in the horizon)."""

    label: str | None
    adults: int
    children: int
    count: int
    allowance_cents: int
    contribution_cents: int
    months: int  # months present within the horizon

    @property
    def net_transfer_cents(self) -> int:
        """What one household receives net a month (negative: it gives more than it gets)."""
        return self.allowance_cents - self.contribution_cents

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "adults": self.adults,
            "children": self.children,
            "count": self.count,
            "allowance_cents": self.allowance_cents,
            "contribution_cents": self.contribution_cents,
            "net_transfer_cents": self.net_transfer_cents,
            "months": self.months,
        }


@dataclass(frozen=True, slots=True)
class Result:
    scenario: Scenario
    per_month: tuple[Month, ...]
    by_household: tuple[GroupLine, ...]
    subsidy_needed_cents_per_year: int
    subsidy_gap_cents_per_year: int

    def total(self, name: str) -> int:
        return sum(getattr(m, name) for m in self.per_month)

    @property
    def net_cents(self) -> int:
        return (
            self.total("contributions_cents")
            + self.total("subsidies_cents")
            - self.total("allowances_cents")
            - self.total("costs_cents")
        )

    @property
    def coverage(self) -> float | None:
        """Contributions ÷ allowances over the horizon (None without allowances)."""
        spent = self.total("allowances_cents")
        return None if spent == 0 else self.total("contributions_cents") / spent

    @property
    def runway_months(self) -> int | None:
        for k, month in enumerate(self.per_month):
            if month.balance_cents < 0:
                return k
        return None

    @property
    def runs_out_in(self) -> str | None:
        """The first month whose balance is below zero."""
        k = self.runway_months
        return None if k is None else self.per_month[k].period

    @property
    def lasts_until(self) -> str | None:
        """The last month at or above zero before it runs out (None: the first is below;
        the horizon's last month when it never runs out)."""
        k = self.runway_months
        if k is None:
            return self.per_month[-1].period if self.per_month else None
        return self.per_month[k - 1].period if k > 0 else None

    @property
    def lowest_balance_cents(self) -> int:
        return min([self.scenario.run.fund_cents, *(m.balance_cents for m in self.per_month)])

    def to_json(self) -> dict[str, Any]:
        coverage = self.coverage
        return {
            "title": self.scenario.title,
            "start": self.scenario.run.start,
            "months": self.scenario.run.months,
            "fund_cents": self.scenario.run.fund_cents,
            "per_month": [m.to_json() for m in self.per_month],
            "totals": {
                "allowances_cents": self.total("allowances_cents"),
                "contributions_cents": self.total("contributions_cents"),
                "subsidies_cents": self.total("subsidies_cents"),
                "costs_cents": self.total("costs_cents"),
                "net_cents": self.net_cents,
            },
            "coverage": None if coverage is None else round(coverage, 4),
            "subsidy_needed_cents_per_year": self.subsidy_needed_cents_per_year,
            "subsidy_gap_cents_per_year": self.subsidy_gap_cents_per_year,
            "runway_months": self.runway_months,
            "runs_out_in": self.runs_out_in,
            "lasts_until": self.lasts_until,
            "end_balance_cents": (
                self.per_month[-1].balance_cents if self.per_month else self.scenario.run.fund_cents
            ),
            "by_household": [g.to_json() for g in self.by_household],
        }


# -- the engine -------------------------------------------------------------------------


def _contribution_at(
    scenario: Scenario, index: int, period: str, cache: dict[tuple[int, str], int]
) -> int:
    scheme = contributions.scheme_for(scenario.schemes, period)
    key = (index, "" if scheme is None else scheme.from_period)
    if key not in cache:
        try:
            cache[key] = household_contribution(scheme, scenario.groups[index])
        except ContributionError as exc:
            raise SimulationError(f"households group {index + 1}, {period}: {exc}") from None
    return cache[key]


def _allowance_at(scenario: Scenario, group: Group, period: str) -> int:
    rule = allowance.rule_for(scenario.rules, period)
    if rule is None:
        raise SimulationError(f"no allowance rule is in force in {period}")
    return allowance.household_allowance(rule, group.shape)


def _months(scenario: Scenario, subsidies: Sequence[Subsidy]) -> list[Month]:
    run, costs = scenario.run, scenario.costs
    cache: dict[tuple[int, str], int] = {}
    balance = run.fund_cents
    out = []
    for k, period in enumerate(scenario.periods()):
        households = allowances = owed = 0
        for index, group in enumerate(scenario.groups):
            if not group.present(period) or group.count == 0:
                continue
            households += group.count
            allowances += group.count * _allowance_at(scenario, group, period)
            owed += group.count * _contribution_at(scenario, index, period, cache)
        allowances = allowances * run.spent_bp // FULL_BP
        collected = owed * run.collected_bp // FULL_BP
        granted = sum(subsidy_in(s, period, run.start) for s in subsidies)
        spent = costs.coordination_cents_per_month + costs.other_cents_per_month
        if k == 0:
            spent += costs.start_up_cents
        balance += collected + granted - allowances - spent
        out.append(Month(period, households, allowances, collected, granted, spent, balance))
    return out


def _group_lines(scenario: Scenario) -> list[GroupLine]:
    periods = scenario.periods()
    cache: dict[tuple[int, str], int] = {}
    lines = []
    for index, group in enumerate(scenario.groups):
        present = [p for p in periods if group.present(p)]
        first = present[0] if present else scenario.run.start
        lines.append(
            GroupLine(
                group.label,
                group.shape.adults,
                group.shape.children,
                group.count,
                _allowance_at(scenario, group, first),
                _contribution_at(scenario, index, first, cache),
                len(present),
            )
        )
    return lines


def needed_yearly(months: Sequence[Month]) -> int:
    """The least yearly subsidy (spread monthly from the first month) that keeps every
    balance of ``months`` at or above zero: the cumulative subsidy after ``n`` months is
    ``S·n//12``, which covers a deficit ``d`` exactly when ``S ≥ ⌈12·d/n⌉``."""
    need = 0
    for n, month in enumerate(months, start=1):
        deficit = -month.balance_cents
        if deficit > 0:
            need = max(need, -(-12 * deficit // n))
    return need


def simulate(scenario: Scenario) -> Result:
    """The scenario month by month; ``SimulationError`` if a household's amount is refused."""
    per_month = _months(scenario, scenario.subsidies)
    without = _months(scenario, ()) if scenario.subsidies else per_month
    return Result(
        scenario,
        tuple(per_month),
        tuple(_group_lines(scenario)),
        needed_yearly(without),
        needed_yearly(per_month),
    )


# -- a council's questions --------------------------------------------------------------

NEEDED_NAME = "needed"


def with_subsidy(scenario: Scenario, cents_per_year: int, *, replace_listed: bool) -> Scenario:
    """The scenario with one more yearly subsidy from its start (or only that one)."""
    extra = Subsidy(NEEDED_NAME, cents_per_year=cents_per_year)
    listed = () if replace_listed else scenario.subsidies
    return replace(scenario, subsidies=(*listed, extra))


@dataclass(frozen=True, slots=True)
class AllowanceAnswer:
    """The largest scaling of the allowance rules that lasts ``months`` months."""

    months: int
    scale_ppm: int | None  # None: not even a one-cent allowance lasts
    rules: tuple[AllowanceRule, ...]
    bounded: bool  # False: the allowance could grow to the engine's maximum and still last
    result: Result | None

    def to_json(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "scale": None if self.scale_ppm is None else self.scale_ppm / PPM,
            "scale_ppm": self.scale_ppm,
            "bounded": self.bounded,
            "allowance": [_rule_json(r) for r in self.rules],
            "result": None if self.result is None else self.result.to_json(),
        }


def _rule_json(rule: AllowanceRule) -> dict[str, Any]:
    out = rule.to_json()
    if out["max_household_cents"] is None:
        del out["max_household_cents"]
    return out


def scale_rules(rules: Sequence[AllowanceRule], scale_ppm: int) -> tuple[AllowanceRule, ...]:
    """Every amount of every rule × scale, rounded down to the cent."""

    def scaled(cents: int) -> int:
        return cents * scale_ppm // PPM

    out = []
    for rule in rules:
        cap = rule.max_household_cents
        out.append(
            allowance.parse_rule(
                {
                    "from": rule.from_period,
                    "first_adult_cents": scaled(rule.first_adult_cents),
                    "extra_adult_cents": scaled(rule.extra_adult_cents),
                    "child_cents": scaled(rule.child_cents),
                    **({} if cap is None else {"max_household_cents": scaled(cap)}),
                }
            )
        )
    return tuple(out)


def _lasts(scenario: Scenario) -> bool:
    return all(m.balance_cents >= 0 for m in _months(scenario, scenario.subsidies))


def solve_allowance(scenario: Scenario, months: int | None = None) -> AllowanceAnswer:
    """The largest scale (to a millionth) of the allowance rules, each amount rounded
    down to the cent, whose balance stays at or above zero for ``months`` months.

    The balance only falls as the scale grows, so a binary search finds it.
    """
    horizon = scenario.run.months if months is None else months
    base = replace(scenario, run=replace(scenario.run, months=horizon))

    def at(scale_ppm: int) -> Scenario:
        return replace(base, rules=scale_rules(base.rules, scale_ppm))

    amounts = [
        cents
        for r in base.rules
        for cents in (r.first_adult_cents, r.extra_adult_cents, r.child_cents)
        + (() if r.max_household_cents is None else (r.max_household_cents,))
    ]
    low = max(-(-PPM // r.first_adult_cents) for r in base.rules)  # first adult ≥ 1 cent
    high = allowance.MAX_CENTS * PPM // max(amounts)  # no amount above the engine's maximum
    if low > high or not _lasts(at(low)):
        return AllowanceAnswer(horizon, None, (), True, None)
    if _lasts(at(high)):
        return AllowanceAnswer(horizon, high, at(high).rules, False, simulate(at(high)))
    while high - low > 1:  # at(low) lasts, at(high) does not
        middle = (low + high) // 2
        if _lasts(at(middle)):
            low = middle
        else:
            high = middle
    best = at(low)
    return AllowanceAnswer(horizon, low, best.rules, True, simulate(best))


__all__ = [
    "AllowanceAnswer",
    "Costs",
    "Group",
    "GroupLine",
    "Month",
    "Result",
    "Run",
    "Scenario",
    "SimulationError",
    "Subsidy",
    "add_months",
    "household_contribution",
    "needed_yearly",
    "scale_rules",
    "simulate",
    "solve_allowance",
    "subsidy_in",
    "with_subsidy",
]

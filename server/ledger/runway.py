"""The live caisse's runway: what happened, and the budget engine fed with the caisse itself.

What happened: for each of the last ``history_months`` complete months, the money
the books (``server.ledger.books``) recorded — contributions and subsidies received,
payouts to shops — and the balance, from ``opening_balance_cents`` plus everything
recorded before. What comes: ``server.ledger.simulation`` run from the current month
on, with the caisse's households as they are (those with a member holding a wallet),
the contribution each chose (as recorded, month by month), the allowance rule fixed
for this month and the later versions of config.json, and the subsidies and costs
config.json's ``budget`` expects. The allowance of a household is the engine's own
``household_allowance``, the sum of its members' credentials.

``budget`` (config.json), all optional::

    {"warning_months": 3, "opening_balance_cents": 0, "history_months": 12,
     "horizon_months": 24, "spent_bp": 10000, "collected_bp": 10000,
     "subsidies": [{"name": "Ville", "cents_per_year": 1400000}],
     "costs": {"coordination_cents_per_month": 0}}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.caisse import allowance, households
from server.caisse.allowance import AllowanceRule, Shape
from server.caisse.contributions import Scheme
from server.caisse.households import HouseholdError
from server.config import Config
from server.ledger import books
from server.ledger.scenario import ScenarioError, parse_costs, parse_subsidies
from server.ledger.simulation import (
    FULL_BP,
    MAX_MONTHS,
    Costs,
    Group,
    Result,
    Run,
    Scenario,
    Subsidy,
    add_months,
    simulate,
)
from server.storage.core import Queries

BUDGET_KEYS = {
    "warning_months",
    "opening_balance_cents",
    "history_months",
    "horizon_months",
    "spent_bp",
    "collected_bp",
    "subsidies",
    "costs",
}
SOURCE = "budget in config.json"


class RunwayError(ValueError):
    """The budget settings or the caisse's rules cannot be read; the message says why."""


@dataclass(frozen=True, slots=True)
class Budget:
    warning_months: int = 3
    opening_balance_cents: int = 0
    history_months: int = 12
    horizon_months: int = 24
    spent_bp: int = FULL_BP
    collected_bp: int = FULL_BP
    subsidies: tuple[Subsidy, ...] = ()
    costs: Costs = field(default_factory=Costs)


def _whole(document: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = document.get(name, default)
    if type(value) is not int or not low <= value <= high:
        raise RunwayError(f"{SOURCE}: {name} must be a whole number from {low} to {high}")
    return value


def parse_budget(document: Any) -> Budget:
    if document is None:
        return Budget()
    if not isinstance(document, Mapping):
        raise RunwayError(f"{SOURCE} must be a JSON object")
    unknown = sorted(set(document) - BUDGET_KEYS)
    if unknown:
        raise RunwayError(f"{SOURCE}: unknown settings {', '.join(unknown)}")
    try:
        subsidies = parse_subsidies(document.get("subsidies"), SOURCE)
        costs = parse_costs(document.get("costs"), SOURCE)
    except ScenarioError as exc:
        raise RunwayError(str(exc)) from None
    return Budget(
        warning_months=_whole(document, "warning_months", 3, 0, MAX_MONTHS),
        opening_balance_cents=_whole(document, "opening_balance_cents", 0, -(10**11), 10**11),
        history_months=_whole(document, "history_months", 12, 0, 120),
        horizon_months=_whole(document, "horizon_months", 24, 1, MAX_MONTHS),
        spent_bp=_whole(document, "spent_bp", FULL_BP, 0, FULL_BP),
        collected_bp=_whole(document, "collected_bp", FULL_BP, 0, FULL_BP),
        subsidies=subsidies,
        costs=costs,
    )


# -- the caisse as a scenario -----------------------------------------------------------


def _segments(choices: Sequence[Any], first: str) -> list[tuple[str | None, str | None, int]]:
    """(from, until, monthly cents) of a household from ``first`` on, by its choices."""
    owed = 0
    changes: list[tuple[str, int]] = []
    for row in choices:  # ordered by from_period
        if row["from_period"] <= first:
            owed = int(row["monthly_cents"])
        else:
            changes.append((row["from_period"], int(row["monthly_cents"])))
    out: list[tuple[str | None, str | None, int]] = []
    start: str | None = None
    for month, cents in changes:
        if cents == owed:
            continue
        out.append((start, add_months(month, -1), owed))
        start, owed = month, cents
    out.append((start, None, owed))
    return out


async def _rules(q: Queries, config: Config, period: str) -> tuple[tuple[AllowanceRule, ...], bool]:
    """The rules from ``period`` on (this month's as fixed), and whether they are per household."""
    if not config.allowance_rules:
        return (allowance.legacy_rule(config.allowance_cents),), False
    try:
        current = await households.period_rule(q, config, period, fix=False, now=0)
        later = [r for r in households.rules(config) if r.from_period > period]
    except HouseholdError as exc:
        raise RunwayError(str(exc)) from None
    return (replace(current, from_period=period), *later), True


async def live_scenario(
    q: Queries, config: Config, period: str, *, fund_cents: int, budget: Budget
) -> Scenario:
    """The caisse from ``period`` on, as the budget engine's scenario."""
    rules, per_household = await _rules(q, config, period)
    holders = await q.households.member_counts()
    choices: dict[int, list[Any]] = {}
    for row in await q.households.choices():
        choices.setdefault(int(row["household_id"]), []).append(row)
    counted: Counter[tuple[Shape, str | None, str | None, int]] = Counter()
    for row in await q.households.households():
        household_id = int(row["household_id"])
        wallets = holders.get(household_id, 0)
        if wallets == 0:
            continue  # nobody to pay: no allowance
        if per_household:
            shape = Shape(int(row["adults"]), int(row["children"]))
        else:  # the flat allowance goes to each member
            shape = Shape(min(wallets, allowance.MAX_PEOPLE), 0)
        for start, until, cents in _segments(choices.get(household_id, []), period):
            counted[(shape, start, until, cents)] += 1
    alone = await q.planning.members_alone()
    if alone:
        counted[(Shape(1, 0), None, None, 0)] += alone
    groups = tuple(
        Group(count, shape, contribution_cents=cents, from_period=start, until=until)
        for (shape, start, until, cents), count in sorted(
            counted.items(), key=lambda item: (item[0][0].adults, item[0][0].children, item[0][1:])
        )
    )
    return Scenario(
        rules=rules,
        run=Run(
            start=period,
            months=budget.horizon_months,
            fund_cents=fund_cents,
            spent_bp=budget.spent_bp,
            collected_bp=budget.collected_bp,
        ),
        # What each household owes is what the caisse recorded (the scheme assessed it
        # then): a free scheme without a floor accepts it as it is.
        schemes=(Scheme(period, "free"),),
        groups=groups,
        subsidies=budget.subsidies,
        costs=budget.costs,
        title=config.caisse,
    )


# -- what happened, what comes ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actual:
    period: str
    contributions_cents: int
    subsidies_cents: int
    payouts_cents: int
    balance_cents: int

    @property
    def in_cents(self) -> int:
        return self.contributions_cents + self.subsidies_cents

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "contributions_cents": self.contributions_cents,
            "subsidies_cents": self.subsidies_cents,
            "payouts_cents": self.payouts_cents,
            "balance_cents": self.balance_cents,
        }


@dataclass(frozen=True, slots=True)
class Runway:
    period: str  # the current month, the forecast's first
    budget: Budget
    history: tuple[Actual, ...]
    fund_cents: int  # the balance at the start of the current month
    forecast: Result

    @property
    def runway_months(self) -> int | None:
        return self.forecast.runway_months

    @property
    def lasts_until(self) -> str | None:
        return self.forecast.lasts_until

    @property
    def warning(self) -> bool:
        """The money runs out within ``warning_months`` months."""
        months = self.runway_months
        return months is not None and months < self.budget.warning_months

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "fund_cents": self.fund_cents,
            "history": [a.to_json() for a in self.history],
            "forecast": self.forecast.to_json(),
            "runway_months": self.runway_months,
            "lasts_until": self.lasts_until,
            "runs_out_in": self.forecast.runs_out_in,
            "warning_months": self.budget.warning_months,
            "warning": self.warning,
        }


def _month_start(config: Config, period: str) -> int:
    tz = ZoneInfo(config.timezone)
    return int(datetime(int(period[:4]), int(period[5:]), 1, tzinfo=tz).timestamp())


async def runway(q: Queries, config: Config, period: str) -> Runway:
    """The runway seen in ``period`` (the current month, ``YYYY-MM``)."""
    budget = parse_budget(config.budget)
    first = add_months(period, -budget.history_months)
    before = await q.planning.totals_before(f"{first}-01", _month_start(config, first))
    balance = (
        budget.opening_balance_cents
        + before.contributions_cents
        + before.subsidies_cents
        - before.payouts_cents
    )
    history = []
    for k in range(budget.history_months):
        month = await books.month_books(q, config, add_months(first, k))
        contributions = sum(month.contributions.values())
        subsidies = sum(month.subsidies.values())
        balance += contributions + subsidies - month.payouts_cents
        history.append(Actual(month.period, contributions, subsidies, month.payouts_cents, balance))
    while history and not (history[0].in_cents or history[0].payouts_cents):
        history.pop(0)  # the months before the caisse recorded anything
    scenario = await live_scenario(q, config, period, fund_cents=balance, budget=budget)
    return Runway(period, budget, tuple(history), balance, simulate(scenario))


__all__ = [
    "Actual",
    "Budget",
    "Runway",
    "RunwayError",
    "live_scenario",
    "parse_budget",
    "runway",
]

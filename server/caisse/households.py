"""Households: who shares an allowance, and each member's share of it per month.

Every member belongs to one household (``member add`` without ``--household``
makes a one-adult household). The household's allowance comes from the caisse's
rule in force (``server.caisse.allowance``) and is shared among its members who
hold a wallet (not revoked), by equal shares or the weights the household chose.

Never mid-month: the rule of a credential period is fixed in ``allowance_periods``
when the period's first credential is issued, and a household's shares when its
first credential of the period is; a change of rule, of shape or of weights
applies from the next period. A member who joins a household whose shares are
already fixed gets nothing more that month (the household's allowance is already
shared out) and their share from the next one.

A caisse without ``allowance_rules`` keeps today's flat ``allowance_cents`` per
member: ``member_allowance`` returns it untouched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stdnum.be import ogm_vcs

from server.caisse import allowance, contributions
from server.caisse.allowance import AllowanceError, AllowanceRule, Shape
from server.config import Config
from server.storage.core import Queries

MAX_LABEL = 100
BIRTH_YEAR = re.compile(r"^(19|20)\d\d$")


class HouseholdError(ValueError):
    """A household cannot be made, found or changed; the message says why."""

    def __init__(self, message: str, error: str = "INVALID_HOUSEHOLD") -> None:
        super().__init__(message)
        self.error = error


@dataclass(frozen=True, slots=True)
class HouseholdMember:
    member_id: str
    name: str
    status: str
    share_weight: int


@dataclass(frozen=True, slots=True)
class Household:
    household_id: int
    label: str | None
    adults: int
    children: int
    birth_years: tuple[int, ...]
    reference: str  # the structured communication, +++123/4567/89012+++
    allowance_cents: int  # under the rule in force for ``period``
    period: str
    members: tuple[HouseholdMember, ...] = field(default=())

    def to_json(self, *, with_members: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "household_id": self.household_id,
            "label": self.label,
            "adults": self.adults,
            "children": self.children,
            "birth_years": list(self.birth_years),
            "reference": self.reference,
            "allowance_cents": self.allowance_cents,
            "period": self.period,
        }
        if with_members:
            out["members"] = [
                {
                    "member_id": m.member_id,
                    "name": m.name,
                    "status": m.status,
                    "share_weight": m.share_weight,
                }
                for m in self.members
            ]
        return out


# -- the structured communication -------------------------------------------------------


def reference_digits(household_id: int) -> str:
    """The 12 digits of a household's Belgian structured communication (OGM/VCS)."""
    base = f"{household_id:010d}"
    return base + ogm_vcs.calc_check_digits(base)


def format_reference(digits: str) -> str:
    """'000000004242' → '+++000/0000/04242+++'."""
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


# -- rules ------------------------------------------------------------------------------


def rules(config: Config) -> tuple[AllowanceRule, ...]:
    try:
        return allowance.parse_rules(config.allowance_rules)
    except AllowanceError as exc:
        raise HouseholdError(f"allowance_rules in config.json: {exc}") from None


def rule_in_config(config: Config, period: str) -> AllowanceRule:
    """The rule config.json gives for ``period``; before its first version, the flat
    allowance (``legacy_rule``: per member in credentials, per adult for display)."""
    found = allowance.rule_for(rules(config), period)
    return found or allowance.legacy_rule(config.allowance_cents)


async def period_rule(
    q: Queries, config: Config, period: str, *, fix: bool, now: int
) -> AllowanceRule:
    """The rule of ``period``: as fixed by its first credential, else the config's (fixed now
    when ``fix``)."""
    stored = await q.households.period_rule(period)
    if stored is not None:
        return allowance.parse_rule(json.loads(stored))
    rule = rule_in_config(config, period)
    if fix:
        await q.households.fix_period_rule(period, json.dumps(rule.to_json()), now)
    return rule


async def add_rule(q: Queries, config: Config, document: dict, *, current_period: str) -> Config:
    """The config with one more rule version, which must start after every month whose rule
    is already fixed, and after the current month: never mid-month."""
    rule = allowance.parse_rule(document)
    fixed = await q.households.last_fixed_period()
    floor = max(current_period, fixed or current_period)
    if rule.from_period <= floor:
        raise HouseholdError(
            f"a new rule takes effect after {floor} (credentials of {floor} are already "
            "issued or the month is under way)"
        )
    versions = [*(config.allowance_rules or []), rule.to_json()]
    rules(config.with_(allowance_rules=versions))  # one version per month
    return config.with_(allowance_rules=versions)


# -- households -------------------------------------------------------------------------


def _label(label: Any) -> str | None:
    if label is None or label == "":
        return None
    if not isinstance(label, str) or len(label) > MAX_LABEL or any(ord(c) < 32 for c in label):
        raise HouseholdError(f"a household label is at most {MAX_LABEL} printable characters")
    return label.strip() or None


def _birth_years(years: Any, shape: Shape) -> str | None:
    if years is None or years == "" or years == ():
        return None
    if isinstance(years, str):
        years = [y.strip() for y in years.split(",") if y.strip()]
    clean = []
    for year in years:
        text = str(year)
        if not BIRTH_YEAR.match(text):
            raise HouseholdError(f"birth years are written like 1984, not {text!r:.20}")
        clean.append(int(text))
    if len(clean) > shape.people:
        raise HouseholdError("more birth years than people in the household")
    return ",".join(str(y) for y in sorted(clean))


def _shape(adults: Any, children: Any) -> Shape:
    try:
        return allowance.check_shape(adults, children)
    except AllowanceError as exc:
        raise HouseholdError(str(exc)) from None


async def _build(
    q: Queries,
    config: Config,
    row: Any,
    period: str,
    *,
    rule: AllowanceRule | None = None,
    with_members: bool = True,
) -> Household:
    shape = Shape(int(row["adults"]), int(row["children"]))
    if rule is None:
        rule = await period_rule(q, config, period, fix=False, now=0)
    members = tuple(
        HouseholdMember(m["member_id"], m["name"], m["status"], int(m["share_weight"] or 1))
        for m in (await q.households.members_of(int(row["household_id"])) if with_members else [])
    )
    years = tuple(int(y) for y in (row["birth_years"] or "").split(",") if y)
    return Household(
        household_id=int(row["household_id"]),
        label=row["label"],
        adults=shape.adults,
        children=shape.children,
        birth_years=years,
        reference=format_reference(row["reference"]),
        allowance_cents=allowance.household_allowance(rule, shape),
        period=period,
        members=members,
    )


async def add_household(
    q: Queries,
    config: Config,
    *,
    label: str | None = None,
    adults: int = 1,
    children: int = 0,
    birth_years: Any = None,
    period: str,
    now: int,
) -> Household:
    shape = _shape(adults, children)
    clean_label, years = _label(label), _birth_years(birth_years, shape)
    await q.households.lock()
    household_id = await q.households.next_household_id()
    await q.households.insert_household(
        household_id,
        clean_label,
        shape.adults,
        shape.children,
        years,
        reference_digits(household_id),
        now,
    )
    row = await q.households.household(household_id)
    return await _build(q, config, row, period)


async def get_household(q: Queries, config: Config, household_id: int, period: str) -> Household:
    row = await q.households.household(household_id)
    if row is None:
        raise HouseholdError(f"no household {household_id}", "NO_HOUSEHOLD")
    return await _build(q, config, row, period)


async def list_households(
    q: Queries, config: Config, period: str, *, limit: int = 100_000, offset: int = 0
) -> list[Household]:
    """Households in number order, without their members (``get_household`` has them)."""
    rule = await period_rule(q, config, period, fix=False, now=0)
    return [
        await _build(q, config, row, period, rule=rule, with_members=False)
        for row in await q.households.households(limit=limit, offset=offset)
    ]


_UNSET: Any = object()


async def edit_household(
    q: Queries,
    config: Config,
    household_id: int,
    *,
    label: Any = _UNSET,
    adults: Any = _UNSET,
    children: Any = _UNSET,
    birth_years: Any = _UNSET,
    weights: Mapping[str, int] | None = None,
    period: str,
    now: int,
) -> Household:
    """Change a household (from the next period for what is already shared out)."""
    await q.households.lock()
    row = await q.households.household(household_id)
    if row is None:
        raise HouseholdError(f"no household {household_id}", "NO_HOUSEHOLD")
    shape = _shape(
        row["adults"] if adults is _UNSET else adults,
        row["children"] if children is _UNSET else children,
    )
    holders = await q.households.holders_of(household_id)
    if len(holders) > shape.adults:
        raise HouseholdError(
            f"household {household_id} has {len(holders)} members with a wallet: "
            f"it cannot have fewer adults"
        )
    years = row["birth_years"] if birth_years is _UNSET else _birth_years(birth_years, shape)
    await q.households.update_household(
        household_id,
        row["label"] if label is _UNSET else _label(label),
        shape.adults,
        shape.children,
        years,
        now,
    )
    if weights:
        mine = {m["member_id"] for m in await q.households.members_of(household_id)}
        for member_id, weight in weights.items():
            if member_id not in mine:
                raise HouseholdError(f"member {member_id} is not in household {household_id}")
            if type(weight) is not int or not 0 <= weight <= 1000:
                raise HouseholdError("a share weight is a whole number from 0 to 1000")
            await q.households.set_share_weight(member_id, weight)
    return await get_household(q, config, household_id, period)


async def place_member(
    q: Queries, config: Config, member_id: str, household_id: int | None, *, period: str, now: int
) -> int:
    """Put a new member in ``household_id``, or in a new one-adult household (None)."""
    if household_id is None:
        made = await add_household(q, config, adults=1, period=period, now=now)
        household_id = made.household_id
    else:
        await q.households.lock()
        row = await q.households.household(household_id)
        if row is None:
            raise HouseholdError(f"no household {household_id}", "NO_HOUSEHOLD")
        holders = await q.households.holders_of(household_id)
        if len(holders) >= int(row["adults"]):
            raise HouseholdError(
                f"household {household_id} has {row['adults']} adult(s), all with a wallet: "
                "add an adult to it first (household edit --adults)"
            )
    await q.households.set_member_household(member_id, household_id)
    return household_id


# -- each member's share ----------------------------------------------------------------


async def _suspended(q: Queries, member_id: str, period: str) -> bool:
    household_id = await q.households.member_household(member_id)
    if household_id is None:
        return False
    choices = [
        (c["from_period"], int(c["monthly_cents"]))
        for c in await q.households.choices([household_id])
    ]
    paid = (await q.contributions.paid_by_household([household_id])).get(household_id, 0)
    return contributions.in_arrears(choices, paid, period)


async def member_allowance(
    q: Queries, config: Config, member_id: str, period: str, *, now: int
) -> int:
    """The allowance of ``member_id``'s credential for ``period``, before payments already made.

    Fixes the period's rule and the household's shares on first use (in the caller's
    transaction), so every later credential of that month carries the same amounts.
    Under ``contribution_unpaid = "suspend"`` a household with a month unpaid for more
    than a month gets nothing (the default, "remind", never suspends).
    """
    if config.contribution_unpaid == "suspend" and await _suspended(q, member_id, period):
        return 0
    if not config.allowance_rules:  # flat: as the members last decided it (a rule change)
        decided = await q.democracy.rule_in_force("allowance", period)
        return config.allowance_cents if decided is None else int(json.loads(decided))
    fixed = await q.households.share(period, member_id)
    if fixed is not None:
        return fixed
    rule = await period_rule(q, config, period, fix=True, now=now)
    if rule.from_period == allowance.LEGACY_FROM:  # no version in force yet: flat, per member
        return rule.first_adult_cents
    household_id = await q.households.member_household(member_id)
    if household_id is None:  # enrolled before households existed: alone
        return allowance.household_allowance(rule, Shape(1, 0))
    await q.households.lock()
    if await q.households.household_shares(household_id, period):
        return 0  # joined after this month's shares were fixed: from next month
    row = await q.households.household(household_id)
    holders = [
        (h["member_id"], 1 if h["share_weight"] is None else int(h["share_weight"]))
        for h in await q.households.holders_of(household_id)
    ]
    if row is None or member_id not in {m for m, _ in holders}:
        return 0
    shape = Shape(int(row["adults"]), int(row["children"]))
    split = allowance.shares(rule, shape, holders)
    await q.households.insert_shares(
        period, household_id, allowance.household_allowance(rule, shape), split, now
    )
    return split[member_id]


__all__ = [
    "Household",
    "HouseholdError",
    "add_household",
    "edit_household",
    "format_reference",
    "get_household",
    "list_households",
    "member_allowance",
    "place_member",
    "reference_digits",
]

"""What each household owes and has paid: its chosen contribution, and its monthly status.

A household's choice (``set_contribution``) is what it owes from a month on; the
scheme in force (``server.caisse.contributions``) gives its floor and, from a
self-assessment, a suggestion or the amount due. Only what the scheme needs is
kept: the amount and the band; the declared income only under a proportional
scheme, read back through ``declared_income`` alone, which writes the audit log.

``status`` spreads each household's payments over the months it owed, oldest
first: one line per household and month with due, paid and balance.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from server.caisse import contributions, transfer_qr
from server.caisse.allowance import Shape
from server.caisse.contributions import ContributionError, Scheme, SelfAssessment
from server.caisse.households import format_reference
from server.config import Config
from server.storage.core import Queries

CHANNELS = ("transfer", "direct_debit", "cash", "manual")


class DuesError(ValueError):
    """A contribution cannot be set or recorded; the message says why."""

    def __init__(self, message: str, error: str = "INVALID_CONTRIBUTION") -> None:
        super().__init__(message)
        self.error = error


@dataclass(frozen=True, slots=True)
class ContributionSet:
    household_id: int
    monthly_cents: int
    reference: str
    from_period: str
    band: str | None
    floor_cents: int
    suggested_cents: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "household_id": self.household_id,
            "monthly_cents": self.monthly_cents,
            "reference": self.reference,
            "from_period": self.from_period,
            "band": self.band,
            "floor_cents": self.floor_cents,
            "suggested_cents": self.suggested_cents,
        }


@dataclass(frozen=True, slots=True)
class StatusLine:
    household_id: int
    period: str
    due_cents: int
    paid_cents: int

    @property
    def balance_cents(self) -> int:
        return self.paid_cents - self.due_cents

    def to_json(self) -> dict[str, Any]:
        return {
            "household_id": self.household_id,
            "period": self.period,
            "due_cents": self.due_cents,
            "paid_cents": self.paid_cents,
            "balance_cents": self.balance_cents,
        }


@dataclass(frozen=True, slots=True)
class Payment:
    payment_id: str
    household_id: int
    amount_cents: int
    channel: str
    received_on: str

    def to_json(self) -> dict[str, Any]:
        return {
            "payment_id": self.payment_id,
            "household_id": self.household_id,
            "amount_cents": self.amount_cents,
            "channel": self.channel,
            "received_on": self.received_on,
        }


next_period, months = contributions.next_period, contributions.months


def schemes(config: Config) -> tuple[Scheme, ...]:
    try:
        return contributions.parse_schemes(config.contribution_schemes)
    except ContributionError as exc:
        raise DuesError(f"contribution_schemes in config.json: {exc}") from None


def scheme_at(config: Config, period: str) -> Scheme:
    found = contributions.scheme_for(schemes(config), period)
    if found is None:
        raise DuesError(
            f"no contribution scheme in force in {period}: add contribution_schemes to config.json",
            "NO_SCHEME",
        )
    return found


async def _household(q: Queries, household_id: int) -> Any:
    row = await q.households.household(household_id)
    if row is None:
        raise DuesError(f"no household {household_id}", "NO_HOUSEHOLD")
    return row


def _shape(row: Any) -> Shape:
    return Shape(int(row["adults"]), int(row["children"]))


async def suggest(
    q: Queries,
    config: Config,
    household_id: int,
    *,
    income_cents: int | None,
    fixed_costs_cents: int = 0,
    cpas: bool = False,
    period: str,
) -> contributions.Assessment:
    """The self-assessment's answer; nothing is stored."""
    row = await _household(q, household_id)
    declared = SelfAssessment(_shape(row), income_cents, fixed_costs_cents, cpas)
    try:
        return contributions.assess(scheme_at(config, period), declared)
    except ContributionError as exc:
        raise DuesError(str(exc)) from None


async def set_contribution(
    q: Queries,
    config: Config,
    household_id: int,
    *,
    monthly_cents: int | None = None,
    declared_income_cents: int | None = None,
    fixed_costs_cents: int = 0,
    cpas: bool = False,
    from_period: str | None = None,
    current_period: str,
    actor: str,
    now: int,
) -> ContributionSet:
    """Record what the household owes from ``from_period`` on.

    By default from the current month for a household's first choice, else from the
    next month (a month already under way keeps its amount).
    """
    row = await _household(q, household_id)
    earlier = await q.households.choices([household_id])
    if from_period is None:
        from_period = next_period(current_period) if earlier else current_period
    elif from_period < current_period:
        raise DuesError("a contribution cannot be changed for a month already past")
    scheme = scheme_at(config, from_period)
    shape = _shape(row)
    if (monthly_cents is None) == (declared_income_cents is None and not cpas):
        raise DuesError("give either the chosen monthly amount or the declared income (or CPAS)")
    try:
        floor = contributions.floor_cents(scheme, shape)
        suggested = None
        band = None
        income_kept = None
        if monthly_cents is None:
            answer = contributions.assess(
                scheme, SelfAssessment(shape, declared_income_cents, fixed_costs_cents, cpas)
            )
            monthly_cents, suggested, band = (
                answer.suggested_cents,
                answer.suggested_cents,
                answer.band,
            )
            floor = answer.floor_cents
            if scheme.keeps_income and not cpas:
                income_kept = declared_income_cents
        amount = contributions.check_choice(scheme, shape, monthly_cents, cpas=cpas)
    except ContributionError as exc:
        raise DuesError(str(exc), "BELOW_FLOOR" if "floor" in str(exc) else "INVALID") from None
    if cpas:
        band = contributions.CPAS_BAND
    await q.households.insert_choice(
        household_id, from_period, amount, band, income_kept, cpas, scheme.kind, actor, now
    )
    await q.console.append_audit(
        actor=actor,
        action="contribution.set",
        target=str(household_id),
        detail={"from_period": from_period, "monthly_cents": amount, "band": band},
        now=now,
    )
    return ContributionSet(
        household_id,
        amount,
        format_reference(row["reference"]),
        from_period,
        band,
        floor,
        suggested,
    )


async def declared_income(
    q: Queries, household_id: int, *, actor: str, role_ok: bool, now: int
) -> list[dict[str, Any]]:
    """The declared incomes kept (proportional schemes only): for a treasurer, audited."""
    if not role_ok:
        raise DuesError("declared incomes are for the treasurer only", "FORBIDDEN")
    await _household(q, household_id)
    rows = await q.households.declared_income(household_id)
    await q.console.append_audit(
        actor=actor, action="contribution.income_read", target=str(household_id), detail={}, now=now
    )
    return [
        {"from_period": r["from_period"], "declared_income_cents": int(r["declared_income_cents"])}
        for r in rows
    ]


def _due_by_period(choices: Sequence[Any], last: str) -> list[tuple[str, int]]:
    """(period, due) from the first choice's month to ``last``."""
    pairs = [(c["from_period"], int(c["monthly_cents"])) for c in choices]
    return contributions.due_by_period(pairs, last)


async def status(
    q: Queries,
    *,
    current_period: str,
    household_id: int | None = None,
    period: str | None = None,
) -> list[StatusLine]:
    """One line per household and month owed, up to ``period`` (else the current month)."""
    ids = None if household_id is None else [household_id]
    if household_id is not None:
        await _household(q, household_id)
    by_household: dict[int, list[Any]] = {}
    for row in await q.households.choices(ids):
        by_household.setdefault(int(row["household_id"]), []).append(row)
    paid = await q.contributions.paid_by_household(ids)
    last = max(current_period, period or current_period)
    out = []
    for hid in sorted(by_household):
        dues = _due_by_period(by_household[hid], last)
        for month, due, got in contributions.allocate(dues, paid.get(hid, 0)):
            if period is None and month > current_period:
                continue
            if period is not None and month != period:
                continue
            out.append(StatusLine(hid, month, due, got))
    return out


async def record_payment(
    q: Queries,
    *,
    household_id: int,
    amount_cents: int,
    channel: str,
    received_on: str,
    source: str | None,
    note: str | None,
    actor: str,
    now: int,
) -> Payment:
    """Money received outside a bank statement (cash at a permanence, a manual entry)."""
    if channel not in CHANNELS:
        raise DuesError(f"channel must be one of {', '.join(CHANNELS)}")
    if type(amount_cents) is not int or not 0 < amount_cents <= 10_000_000:
        raise DuesError("an amount received is a positive number of cents")
    await _household(q, household_id)
    payment_id = secrets.token_hex(8)
    await q.contributions.insert_payments(
        [(payment_id, household_id, amount_cents, channel, received_on, source, note, now, actor)]
    )
    await q.console.append_audit(
        actor=actor,
        action=f"contribution.{channel}",
        target=str(household_id),
        detail={"payment_id": payment_id, "amount_cents": amount_cents, "received_on": received_on},
        now=now,
    )
    return Payment(payment_id, household_id, amount_cents, channel, received_on)


async def member_contribution(
    q: Queries, config: Config, member_id: str, *, current_period: str
) -> dict[str, Any]:
    """What a member's wallet shows on "Ma cotisation": the amount of this month, the
    balance, the caisse's account with the structured communication and the EPC QR text,
    and the caisse's rule on unpaid contributions."""
    household_id = await q.households.member_household(member_id)
    if household_id is None:
        raise DuesError("this member belongs to no household", "NO_HOUSEHOLD")
    row = await _household(q, household_id)
    lines = await status(q, current_period=current_period, household_id=household_id)
    this_month = next((line for line in lines if line.period == current_period), None)
    balance = sum(line.balance_cents for line in lines)
    due_now = None if this_month is None else max(0, -balance) or this_month.due_cents
    try:
        payment = transfer_qr.transfer(
            name=config.sepa_debtor_name,
            iban=config.sepa_debtor_iban,
            bic=config.sepa_debtor_bic,
            amount_cents=due_now or None,
            digits=row["reference"],
        )
    except transfer_qr.TransferError as exc:
        raise DuesError(str(exc), "NOT_CONFIGURED") from None
    return {
        "household_id": household_id,
        "period": current_period,
        "monthly_cents": None if this_month is None else this_month.due_cents,
        "balance_cents": balance,
        "to_pay_cents": due_now,
        "unpaid_rule": config.contribution_unpaid,
        **payment.to_json(),
    }

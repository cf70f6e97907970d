"""The caisse's books per month: money in (contributions by channel, subsidies by
source), money out (shop payouts of the settlements made that month).

``entries`` lists the month's movements; ``to_csv`` and ``to_beancount`` export
them (the beancount ledger passes ``bean-check``: every transaction balances
between the caisse's bank account or cash box and an income or expense account).
Contributions count on the day the money was received; a returned direct debit
is a negative contribution of the day it came back.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.caisse.dues import next_period
from server.config import Config
from server.storage.core import Queries

SOURCES = ("cpas", "commune", "region", "donor", "other")
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CHANNEL_ACCOUNTS = {
    "transfer": "Income:Contributions:Transfer",
    "direct_debit": "Income:Contributions:DirectDebit",
    "cash": "Income:Contributions:Cash",
    "manual": "Income:Contributions:Other",
}
BANK, CASH, PAYOUTS = "Assets:Bank", "Assets:Cash", "Expenses:ShopPayouts"


class BooksError(ValueError):
    """The books cannot be made or a subsidy recorded; the message says why."""


@dataclass(frozen=True, slots=True)
class BookEntry:
    on: str  # ISO date
    kind: str  # "contribution", "subsidy", "payout"
    category: str  # channel, source, or "shops"
    amount_cents: int  # + in, - out
    reference: str
    party: str  # household id, subsidy source, shop


@dataclass(frozen=True, slots=True)
class MonthBooks:
    period: str
    contributions: dict[str, int]
    subsidies: dict[str, int]
    payouts_cents: int

    @property
    def in_cents(self) -> int:
        return sum(self.contributions.values()) + sum(self.subsidies.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "contributions_cents": dict(self.contributions),
            "subsidies_cents": dict(self.subsidies),
            "in_cents": self.in_cents,
            "out_cents": self.payouts_cents,
            "net_cents": self.in_cents - self.payouts_cents,
        }


def _bounds(config: Config, period: str) -> tuple[str, str, int, int]:
    if not isinstance(period, str) or not PERIOD.match(period):
        raise BooksError("the period is a month written YYYY-MM")
    tz = ZoneInfo(config.timezone)
    end = next_period(period)
    start_ts = int(datetime(int(period[:4]), int(period[5:]), 1, tzinfo=tz).timestamp())
    end_ts = int(datetime(int(end[:4]), int(end[5:]), 1, tzinfo=tz).timestamp())
    return f"{period}-01", f"{end}-01", start_ts, end_ts


async def entries(q: Queries, config: Config, period: str) -> list[BookEntry]:
    start, end, start_ts, end_ts = _bounds(config, period)
    tz = ZoneInfo(config.timezone)
    out = [
        BookEntry(
            p["received_on"],
            "contribution",
            p["channel"],
            int(p["amount_cents"]),
            p["payment_id"],
            str(p["household_id"]),
        )
        for p in await q.contributions.payments_between(start, end)
    ]
    out += [
        BookEntry(
            s["received_on"],
            "subsidy",
            s["source"],
            int(s["amount_cents"]),
            s["subsidy_id"],
            s["source"],
        )
        for s in await q.contributions.subsidies_between(start, end)
    ]
    out += [
        BookEntry(
            datetime.fromtimestamp(p["created_at"], tz).date().isoformat(),
            "payout",
            "shops",
            -int(p["amount_cents"]),
            f"S{p['settlement_id']}",
            p["merchant_id"],
        )
        for p in await q.contributions.payouts_between(start_ts, end_ts)
    ]
    return sorted(out, key=lambda e: (e.on, e.kind, e.reference))


async def month_books(q: Queries, config: Config, period: str) -> MonthBooks:
    contributions: dict[str, int] = {}
    subsidies: dict[str, int] = {}
    payouts = 0
    for e in await entries(q, config, period):
        if e.kind == "contribution":
            contributions[e.category] = contributions.get(e.category, 0) + e.amount_cents
        elif e.kind == "subsidy":
            subsidies[e.category] = subsidies.get(e.category, 0) + e.amount_cents
        else:
            payouts -= e.amount_cents
    return MonthBooks(period, contributions, subsidies, payouts)


@dataclass(frozen=True, slots=True)
class Subsidy:
    subsidy_id: str
    source: str
    amount_cents: int
    received_on: str

    def to_json(self) -> dict[str, Any]:
        return {
            "subsidy_id": self.subsidy_id,
            "source": self.source,
            "amount_cents": self.amount_cents,
            "received_on": self.received_on,
        }


async def add_subsidy(
    q: Queries,
    *,
    source: str,
    amount_cents: int,
    received_on: str,
    note: str | None,
    actor: str,
    now: int,
) -> Subsidy:
    if source not in SOURCES:
        raise BooksError(f"source must be one of {', '.join(SOURCES)}")
    if type(amount_cents) is not int or not 0 < amount_cents <= 10**11:
        raise BooksError("a subsidy is a positive number of cents")
    try:
        day = date.fromisoformat(received_on).isoformat()
    except (TypeError, ValueError):
        raise BooksError("the date is written YYYY-MM-DD") from None
    note = (note or "").strip()[:300] or None
    subsidy_id = secrets.token_hex(8)
    await q.contributions.insert_subsidy(subsidy_id, source, amount_cents, day, note, actor, now)
    await q.console.append_audit(
        actor=actor,
        action="subsidy.add",
        target=subsidy_id,
        detail={"source": source, "amount_cents": amount_cents, "received_on": day},
        now=now,
    )
    return Subsidy(subsidy_id, source, amount_cents, day)


def to_csv(rows: list[BookEntry]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["date", "kind", "category", "amount_cents", "amount_eur", "reference", "party"]
    )
    for e in rows:
        euros = _eur(e.amount_cents).removesuffix(" EUR")
        writer.writerow([e.on, e.kind, e.category, e.amount_cents, euros, e.reference, e.party])
    return buffer.getvalue()


def _eur(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d} EUR"


def _account(e: BookEntry) -> tuple[str, str]:
    """(asset account, income/expense account) of an entry."""
    if e.kind == "contribution":
        asset = CASH if e.category == "cash" else BANK
        return asset, CHANNEL_ACCOUNTS.get(e.category, "Income:Contributions:Other")
    if e.kind == "subsidy":
        return BANK, f"Income:Subsidies:{e.category.capitalize()}"
    return BANK, PAYOUTS


def to_beancount(rows: list[BookEntry], config: Config) -> str:
    """A ledger bean-check accepts: accounts opened on the first day, balanced transactions."""
    accounts = sorted({a for e in rows for a in _account(e)} | {BANK})
    first = min((e.on for e in rows), default="2000-01-01")
    lines = [f'option "title" "{config.caisse} books"', 'option "operating_currency" "EUR"', ""]
    lines += [f"{first} open {a} EUR" for a in accounts]
    for e in rows:
        asset, other = _account(e)
        text = f"{e.kind} {e.category} {e.party}".replace('"', "'")
        lines += [
            "",
            f'{e.on} * "{text}" "{e.reference}"',
            f"  {asset}  {_eur(e.amount_cents)}",
            f"  {other}  {_eur(-e.amount_cents)}",
        ]
    return "\n".join(lines) + "\n"

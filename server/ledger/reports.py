"""The monthly caisse report: members, allowances issued, received and paid, shops,
rejections, findings.

JSON for the admin console and a printable HTML page
(``templates/monthly_report.html``). Months are calendar months in the
caisse's time zone; amounts are cents (and ``23,40 €`` in HTML).
"Received" is what the shops' receipts add up to (a QR no till scanned is not
in it; a wallet's ``cum`` may be), "paid" what settlements paid the shops of it;
``spent_cents`` is ``received_cents`` under its old name, for scripts.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.config import Config
from server.errors import DomainError
from server.ledger import pages
from server.ledger.statements import euros
from server.periods import period_at
from server.storage.core import Storage

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class ReportError(DomainError):
    """Not a month the report can be made for."""

    code = "INVALID_MONTH"


@dataclass(frozen=True, slots=True)
class Allowances:
    credentials: int
    members: int
    issued_cents: int
    received_cents: int  # what the shops' receipts add up to
    paid_cents: int  # what settlements paid the shops of it
    spent_cents: int  # received_cents under its old name, for scripts
    payments: int
    unspent_cents: int


@dataclass(frozen=True, slots=True)
class VouchersIssued:
    count: int
    cents: int


@dataclass(frozen=True, slots=True)
class ShopMonth:
    """What one shop received in the month."""

    merchant_id: str
    name: str
    payments: int
    payments_cents: int
    vouchers: int
    vouchers_cents: int
    paid_cents: int


@dataclass(frozen=True, slots=True)
class FindingCount:
    kind: str
    decision: str | None
    count: int
    amount_cents: int


@dataclass(frozen=True, slots=True)
class SettlementTotal:
    settlement_id: int
    until_ts: int
    payments: int
    total_cents: int


@dataclass(frozen=True, slots=True)
class PaperVouchers:
    """The month's voucher sheets (docs/vouchers.md): what was not redeemed stays the
    caisse's once the month is over."""

    members: int
    vouchers: int
    issued_cents: int
    redeemed_cents: int
    voided_cents: int
    unredeemed_cents: int


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    """The month's figures; ``to_json()`` is what ``ssa-admin report`` prints."""

    month: str
    timezone: str
    caisse: str
    start: int  # "from" in JSON: the month's first second
    end: int  # "to": the next month's first second
    members: dict[str, int]  # "total", then a count per status
    allowances: Allowances
    vouchers_issued: VouchersIssued
    paper_vouchers: PaperVouchers
    shops: list[ShopMonth]
    rejected: dict[str, int]  # refusal code → scans
    findings: list[FindingCount]
    settlements: list[SettlementTotal]

    def to_json(self) -> dict[str, Any]:
        names = {"start": "from", "end": "to"}
        return {names.get(k, k): v for k, v in asdict(self).items()}


def month_bounds(month: str, tz: ZoneInfo) -> tuple[int, int]:
    match = _MONTH.fullmatch(month) if isinstance(month, str) else None
    if not match or not 2000 <= int(match[1]) <= 9998:
        raise ReportError(f"month must be YYYY-MM, not {month!r:.40}")
    start = int(datetime(int(match[1]), int(match[2]), 1, tzinfo=tz).timestamp())
    period = period_at(start, tz)
    return period.nbf, period.exp


async def monthly_report(storage: Storage, config: Config, month: str) -> MonthlyReport:
    tz = ZoneInfo(config.timezone)
    start, end = month_bounds(month, tz)
    async with storage.read() as q:
        members = {r["status"]: int(r["n"]) for r in await q.ledger.report_members(end)}
        issued = await q.ledger.report_allowances(month)
        spent = await q.ledger.report_spent(month)
        paid = await q.ledger.report_paid(month)
        shops = await q.ledger.report_shops(start, end)
        rejected = await q.ledger.report_rejected(start, end)
        findings = await q.ledger.report_findings(start, end)
        vouchers = await q.ledger.report_vouchers(start, end)
        paper = await q.vouchers.month_totals(month)
        settlements = await q.ledger.report_settlements(start, end)
        names = {m["merchant_id"]: m["name"] for m in await q.merchants()}
    per_shop: dict[str, dict[str, Any]] = {}
    for r in shops:
        shop = per_shop.setdefault(
            r["merchant_id"],
            {
                "merchant_id": r["merchant_id"],
                "name": names.get(r["merchant_id"], r["merchant_id"]),
                "payments": 0,
                "payments_cents": 0,
                "vouchers": 0,
                "vouchers_cents": 0,
                "paid_cents": 0,
            },
        )
        label = "payments" if r["kind"] == "payment" else "vouchers"
        shop[label] += int(r["receipts"])
        shop[f"{label}_cents"] += int(r["cents"] or 0)
        shop["paid_cents"] += int(r["paid_cents"] or 0)
    issued_cents, spent_cents = int(issued["cents"]), int(spent["cents"])
    return MonthlyReport(
        month=month,
        timezone=config.timezone,
        caisse=config.caisse,
        start=start,
        end=end,
        members={"total": sum(members.values()), **members},
        allowances=Allowances(
            credentials=int(issued["credentials"]),
            members=int(issued["members"]),
            issued_cents=issued_cents,
            received_cents=spent_cents,
            paid_cents=int(paid["cents"]),
            spent_cents=spent_cents,
            payments=int(spent["payments"]),
            unspent_cents=max(0, issued_cents - spent_cents),
        ),
        vouchers_issued=VouchersIssued(int(vouchers["vouchers"]), int(vouchers["cents"])),
        paper_vouchers=PaperVouchers(
            members=int(paper["members"]),
            vouchers=int(paper["issued"]),
            issued_cents=int(paper["issued_cents"]),
            redeemed_cents=int(paper["redeemed_cents"]),
            voided_cents=int(paper["voided_cents"]),
            unredeemed_cents=int(paper["unredeemed_cents"]),
        ),
        shops=[ShopMonth(**shop) for shop in per_shop.values()],
        rejected={r["code"]: int(r["n"]) for r in rejected},
        findings=[
            FindingCount(r["kind"], r["decision"], int(r["n"]), int(r["cents"] or 0))
            for r in findings
        ],
        settlements=[
            SettlementTotal(
                *(int(s[k]) for k in ("settlement_id", "until_ts", "payments", "total_cents"))
            )
            for s in settlements
        ],
    )


def report_html(report: MonthlyReport) -> str:
    return pages.render("monthly_report.html", r=report, eur=euros)

"""The monthly caisse report: members, allowances issued and spent, shops, rejections, findings.

JSON for the admin console and a printable HTML page
(``templates/monthly_report.html``). Months are calendar months in the
caisse's time zone; amounts are cents (and ``23,40 €`` in HTML).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.config import Config
from server.errors import DomainError
from server.ledger import pages
from server.ledger.statements import euros
from server.periods import period_at
from server.storage.core import Storage
from server.storage.ledger import LedgerQueries

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class ReportError(DomainError):
    """Not a month the report can be made for."""

    code = "INVALID_MONTH"


def month_bounds(month: str, tz: ZoneInfo) -> tuple[int, int]:
    match = _MONTH.match(month) if isinstance(month, str) else None
    if not match or not 2000 <= int(match[1]) <= 9998:
        raise ReportError(f"month must be YYYY-MM, not {month!r:.40}")
    start = int(datetime(int(match[1]), int(match[2]), 1, tzinfo=tz).timestamp())
    period = period_at(start, tz)
    return period.nbf, period.exp


async def monthly_report(storage: Storage, config: Config, month: str) -> dict[str, Any]:
    tz = ZoneInfo(config.timezone)
    start, end = month_bounds(month, tz)
    async with storage.read() as q:
        lq = LedgerQueries(q)
        members = {r["status"]: int(r["n"]) for r in await lq.report_members(end)}
        issued = await lq.report_allowances(month)
        spent = await lq.report_spent(month)
        shops = await lq.report_shops(start, end)
        rejected = await lq.report_rejected(start, end)
        findings = await lq.report_findings(start, end)
        vouchers = await lq.report_vouchers(start, end)
        settlements = await lq.report_settlements(start, end)
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
    return {
        "month": month,
        "timezone": config.timezone,
        "caisse": config.caisse,
        "from": start,
        "to": end,
        "members": {"total": sum(members.values()), **members},
        "allowances": {
            "credentials": int(issued["credentials"]),
            "members": int(issued["members"]),
            "issued_cents": issued_cents,
            "spent_cents": spent_cents,
            "payments": int(spent["payments"]),
            "unspent_cents": max(0, issued_cents - spent_cents),
        },
        "vouchers_issued": {"count": int(vouchers["vouchers"]), "cents": int(vouchers["cents"])},
        "shops": list(per_shop.values()),
        "rejected": {r["code"]: int(r["n"]) for r in rejected},
        "findings": [
            {
                "kind": r["kind"],
                "decision": r["decision"],
                "count": int(r["n"]),
                "amount_cents": int(r["cents"] or 0),
            }
            for r in findings
        ],
        "settlements": [
            {k: int(s[k]) for k in ("settlement_id", "until_ts", "payments", "total_cents")}
            for s in settlements
        ],
    }


def report_html(report: dict[str, Any]) -> str:
    return pages.render("monthly_report.html", r=report, eur=euros)

"""The monthly caisse report: members, allowances issued and spent, shops, rejections, findings.

JSON for the admin console and a printable HTML page. Months are calendar
months in the caisse's time zone; amounts are cents (and ``23,40 €`` in HTML).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment

from server.config import Config
from server.ledger.statements import euros
from server.periods import period_at
from server.storage.core import Storage

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class ReportError(ValueError):
    """Not a month the report can be made for."""


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
        members = {r["status"]: int(r["n"]) for r in await q.ledger.report_members(end)}
        issued = await q.ledger.report_allowances(month)
        spent = await q.ledger.report_spent(month)
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
        # the month's voucher sheets (docs/vouchers.md): what was not redeemed stays the
        # caisse's once the month is over
        "paper_vouchers": {
            "members": int(paper["members"]),
            "vouchers": int(paper["issued"]),
            "issued_cents": int(paper["issued_cents"]),
            "redeemed_cents": int(paper["redeemed_cents"]),
            "voided_cents": int(paper["voided_cents"]),
            "unredeemed_cents": int(paper["unredeemed_cents"]),
        },
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


_HTML = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{{ r.caisse }} — {{ r.month }}</title>
<style>
body { font: 11pt/1.4 sans-serif; margin: 2em; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border-bottom: 1px solid #999; padding: .2em .6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
@media print { body { margin: 0; } }
</style></head><body>
<h1>{{ r.caisse }} — rapport mensuel / maandrapport / monthly report {{ r.month }}</h1>
<h2>Membres / Leden / Members</h2>
<table>{% for k, v in r.members.items() %}<tr><th>{{ k }}</th><td class="n">{{ v }}</td></tr>
{% endfor %}</table>
<h2>Allocations / Toelagen / Allowances</h2>
<table>
<tr><th>credentials</th><td class="n">{{ r.allowances.credentials }}</td></tr>
<tr><th>issued</th><td class="n">{{ eur(r.allowances.issued_cents) }}</td></tr>
<tr><th>spent ({{ r.allowances.payments }} payments)</th>
<td class="n">{{ eur(r.allowances.spent_cents) }}</td></tr>
<tr><th>unspent</th><td class="n">{{ eur(r.allowances.unspent_cents) }}</td></tr>
<tr><th>paper vouchers issued ({{ r.vouchers_issued.count }})</th>
<td class="n">{{ eur(r.vouchers_issued.cents) }}</td></tr>
</table>
<h2>Bons papier / Papieren bonnen / Paper vouchers {{ r.month }}</h2>
<table>
<tr><th>members ({{ r.paper_vouchers.members }}), vouchers ({{ r.paper_vouchers.vouchers }})</th>
<td class="n">{{ eur(r.paper_vouchers.issued_cents) }}</td></tr>
<tr><th>redeemed</th><td class="n">{{ eur(r.paper_vouchers.redeemed_cents) }}</td></tr>
<tr><th>voided (lost sheets)</th><td class="n">{{ eur(r.paper_vouchers.voided_cents) }}</td></tr>
<tr><th>unredeemed</th><td class="n">{{ eur(r.paper_vouchers.unredeemed_cents) }}</td></tr>
</table>
<h2>Commerces / Winkels / Shops</h2>
<table><tr><th>shop</th><th>payments</th><th>amount</th><th>vouchers</th><th>amount</th>
<th>paid</th></tr>
{% for s in r.shops %}<tr><td>{{ s.name }} ({{ s.merchant_id }})</td>
<td class="n">{{ s.payments }}</td><td class="n">{{ eur(s.payments_cents) }}</td>
<td class="n">{{ s.vouchers }}</td><td class="n">{{ eur(s.vouchers_cents) }}</td>
<td class="n">{{ eur(s.paid_cents) }}</td></tr>{% endfor %}</table>
<h2>Refusés / Geweigerd / Rejected tokens</h2>
<table>{% for k, v in r.rejected.items() %}<tr><th>{{ k }}</th><td class="n">{{ v }}</td></tr>
{% else %}<tr><td>—</td></tr>{% endfor %}</table>
<h2>Constats / Vaststellingen / Findings</h2>
<table><tr><th>kind</th><th>decision</th><th>count</th><th>amount</th></tr>
{% for f in r.findings %}<tr><td>{{ f.kind }}</td><td>{{ f.decision }}</td>
<td class="n">{{ f.count }}</td><td class="n">{{ eur(f.amount_cents) }}</td></tr>
{% else %}<tr><td colspan="4">—</td></tr>{% endfor %}</table>
</body></html>
"""
)


def report_html(report: dict[str, Any]) -> str:
    return _HTML.render(r=report, eur=euros)

"""The dashboard: what a volunteer checks first on a Tuesday evening."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from starlette.responses import Response

from server.caisse import settings
from server.config import DAY
from server.console import ledger
from server.console.call import Call
from server.console.chart import bar_chart
from server.console.views import planning
from server.periods import Period, period_at

MONTHS = 6
SILENT_AFTER_S = 3 * DAY


def last_periods(now: int, timezone: str, count: int) -> list[Period]:
    tz = ZoneInfo(timezone)
    periods = [period_at(now, tz)]
    while len(periods) < count:
        periods.append(period_at(periods[-1].nbf - 1, tz))
    return list(reversed(periods))


async def dashboard(call: Call) -> Response:
    c, now = call.ctx, call.now()
    fmt = call.site.pages.formats[call.language]
    periods = last_periods(now, c.config.timezone, MONTHS)
    async with c.storage.read() as q:
        members = await q.console.member_counts()
        money = await q.console.allowance_by_period([p.name for p in periods])
        # what the shops' receipts add up to, and what was paid of it: never a wallet's cum
        flows = await q.console.received_and_paid_by_period([p.name for p in periods])
        rejected = await q.console.rejections_by_code(now - 30 * DAY)
        batches_week = await q.console.batches_since(now - 7 * DAY)
        shops = await q.console.merchant_overview()
        latest = await q.latest_trust_list()
    silent = [
        s
        for s in shops
        if s["status"] == "active"
        and s["devices"]
        and (s["last_batch_at"] is None or now - s["last_batch_at"] > SILENT_AFTER_S)
    ]
    rows = [(fmt.month(p.name), money[p.name][0], *flows[p.name]) for p in periods]
    chart = bar_chart(
        [(fmt.axis_month(p.name), row[1], row[2]) for p, row in zip(periods, rows, strict=True)],
        title=call._("Allowances issued and received by the caisse per month"),
        description=call._(
            "Bars for the last %(n)s months; the table below gives the same figures.", n=MONTHS
        ),
        series=(call._("Issued"), call._("Received by the caisse")),
        money=fmt.money,
    )
    this_issued = money[periods[-1].name][0]
    this_received, this_paid = flows[periods[-1].name]
    summary = await ledger.dashboard_summary(call) if call.user and call.user.is_admin else None
    runway_warning = (
        await planning.dashboard_warning(call) if call.user and call.user.is_admin else None
    )
    return call.render(
        "dashboard.html",
        {
            "members": members,
            "active_members": members.get("active", 0),
            "chart": chart,
            "money_rows": rows,
            "this_month": fmt.month(periods[-1].name),
            "this_issued": this_issued,
            "this_received": this_received,
            "this_paid": this_paid,
            "rejected": rejected,
            "rejected_total": sum(r["n"] for r in rejected),
            "batches_week": batches_week,
            "silent_shops": silent,
            "trust_list": latest,
            "trust_list_age_s": None if latest is None else now - latest["issued_at"],
            "ledger": summary,
            "runway_warning": runway_warning,
            "base_url_problem": settings.base_url_problem(c.config, call.request.url.hostname),
            "base_url": c.config.base_url,
        },
    )

"""The monthly report (admins only): the month's figures for the caisse's board, printable.

It shows ``server.reports.monthly_report`` as it is (never a second computation),
with a month picker, links to the months before and after, and Babel formats.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from starlette.responses import Response

from server.console.call import Call
from server.errors import Invalid
from server.ledger.reports import ReportError, monthly_report
from server.periods import period_at


def _neighbours(month: str) -> tuple[str, str]:
    year, number = (int(x) for x in month.split("-"))
    before = f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"
    after = f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}"
    return before, after


async def report(call: Call) -> Response:

    this_month = period_at(call.now(), ZoneInfo(call.ctx.config.timezone)).name
    month = call.param("month", 20) or this_month
    try:
        data = await monthly_report(call.ctx.storage, call.ctx.config, month)
    except ReportError:
        raise Invalid(
            call._("Choose a month between 2000 and 9998, like %(m)s.", m=this_month)
        ) from None
    before, after = _neighbours(month)
    return call.render(
        "report.html",
        {
            "r": data,
            "month": month,
            "before": before if before >= "2000-01" else None,
            "after": after if after <= this_month else None,
            "this_month": this_month,
            "findings_total": sum(f.count for f in data.findings),
            "rejected_total": sum(data.rejected.values()),
        },
    )

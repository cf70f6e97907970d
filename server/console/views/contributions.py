"""Contributions on the first of the month: who has paid, who has not, the bank statement
to import, the credits waiting for a volunteer, and the caisse's books with their chart.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from server.caisse import dues
from server.console.call import Call, problem
from server.console.chart import bar_chart
from server.console.forms import Errors, upload
from server.console.views.dashboard import last_periods
from server.console.views.households import HOUSEHOLD_ID, actor, parse_euros, period, today
from server.ledger import bank_import, books
from server.ledger.bank_files import BankFileError
from server.ledger.bank_import import BankImportError
from server.ledger.books import BooksError

ENTRY_KEY = re.compile(r"^[0-9a-f]{32}$")
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MONTHS = 6


async def overview(call: Call, values: dict[str, Any] | None = None, status: int = 200) -> Response:
    month = period(call)
    async with call.ctx.storage.read() as q:
        lines = [
            line for line in await dues.status(q, current_period=month) if line.period == month
        ]
        waiting = await q.contributions.count_entries("unmatched")
        counts = await q.households.count()
    unpaid = [line for line in lines if line.paid_cents < line.due_cents]
    return call.render(
        "contributions.html",
        {
            "month": month,
            "households": counts,
            "owing": len(lines),
            "paid": len(lines) - len(unpaid),
            "unpaid": unpaid[:200],
            "due_cents": sum(line.due_cents for line in lines),
            "paid_cents": sum(min(line.paid_cents, line.due_cents) for line in lines),
            "waiting": waiting,
            "remind": call.ctx.config.contribution_unpaid == "remind",
            "result": (values or {}).get("result"),
            "error": (values or {}).get("error"),
            "done": call.param("done", 40),
        },
        status=status,
    )


async def import_statement(call: Call) -> Response:
    data = await upload(call.form, "statement")
    if not data:
        return await overview(call, {"error": call._("Choose a CODA or camt.053 file.")}, 400)
    try:
        result = await bank_import.import_statement(
            call.ctx.storage, call.ctx.config, data, actor=actor(call), now=call.now()
        )
    except BankFileError as exc:
        return await overview(call, {"error": str(exc)}, 400)
    return await overview(call, {"result": result})


async def review(call: Call, errors: Errors | None = None, status: int = 200) -> Response:
    rows = await bank_import.review_queue(call.ctx.storage, limit=200)
    return call.render(
        "review.html",
        {"rows": rows, "errors": errors or Errors(), "done": call.param("done", 40)},
        status=status,
    )


async def review_decide(call: Call) -> Response:
    entry_key = call.path_param("entry_key")
    if not ENTRY_KEY.match(entry_key):
        return problem(call, 404, call._("There is no such bank entry."))
    errors = Errors()
    raw = call.field("household_id", 12)
    aside = call.field("set_aside", 5) == "yes"
    try:
        async with call.ctx.storage.transaction() as q:
            if aside:
                await bank_import.set_aside(
                    q, entry_key, note=call.field("note", 300), actor=actor(call), now=call.now()
                )
            elif HOUSEHOLD_ID.match(raw):
                await bank_import.assign_entry(
                    q, entry_key, int(raw), actor=actor(call), now=call.now()
                )
            else:
                errors.add(entry_key, call._("Write the household's number."))
    except BankImportError as exc:
        errors.add(entry_key, str(exc))
    if errors:
        return await review(call, errors, 400)
    return call.redirect("contribution_review", done="entry_assigned")


def _month(call: Call) -> str | None:
    raw = call.path_param("period") or call.param("period", 7)
    return raw if PERIOD.match(raw) else None


async def books_view(call: Call, errors: Errors | None = None, status: int = 200) -> Response:
    month = _month(call) or period(call)
    fmt = call.site.pages.formats[call.language]
    periods = [p.name for p in last_periods(call.now(), call.ctx.config.timezone, MONTHS)]
    async with call.ctx.storage.read() as q:
        months = [await books.month_books(q, call.ctx.config, p) for p in periods]
        this = await books.month_books(q, call.ctx.config, month)
        rows = await books.entries(q, call.ctx.config, month)
    chart = bar_chart(
        [(fmt.month(m.period), m.in_cents, m.payouts_cents) for m in months],
        title=call._("Money in and out per month"),
        description=call._(
            "Bars for the last %(n)s months; the table below gives the same figures.", n=MONTHS
        ),
        series=(call._("Money in"), call._("Paid to shops")),
        money=fmt.money,
    )
    return call.render(
        "books.html",
        {
            "month": month,
            "this": this,
            "months": months,
            "chart": chart,
            "rows": rows[-200:],
            "sources": books.SOURCES,
            "errors": errors or Errors(),
            "today": today(call),
            "done": call.param("done", 40),
        },
        status=status,
    )


async def books_csv(call: Call) -> Response:
    month = _month(call)
    if month is None:
        return problem(call, 404, call._("There is no such month."))
    async with call.ctx.storage.read() as q:
        rows = await books.entries(q, call.ctx.config, month)
    return Response(
        books.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="books-{month}.csv"'},
    )


async def books_beancount(call: Call) -> Response:
    month = _month(call)
    if month is None:
        return problem(call, 404, call._("There is no such month."))
    async with call.ctx.storage.read() as q:
        rows = await books.entries(q, call.ctx.config, month)
    return Response(
        books.to_beancount(rows, call.ctx.config),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="books-{month}.beancount"'},
    )


async def subsidy_add(call: Call) -> Response:
    errors = Errors()
    cents = parse_euros(call.field("amount", 20))
    if not cents:
        errors.add("amount", call._("Write the amount received, like 1500,00."))
        return await books_view(call, errors, 400)
    try:
        async with call.ctx.storage.transaction() as q:
            await books.add_subsidy(
                q,
                source=call.field("source", 20),
                amount_cents=cents,
                received_on=call.field("received_on", 10) or today(call),
                note=call.field("note", 300),
                actor=actor(call),
                now=call.now(),
            )
    except BooksError as exc:
        errors.add("amount", str(exc))
        return await books_view(call, errors, 400)
    return call.redirect("books", done="subsidy_added")

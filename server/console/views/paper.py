"""Paper vouchers and letters: the month's sheets, a member's channel, void and reprint, letters.

What a volunteer at a permanence needs to hand a member their month's vouchers in two
minutes: the member's page has the channel and a *print* button; the *Paper vouchers*
page prints the whole month at once ("Imprimer les bons de décembre") and shows what
became of every voucher; a lost sheet is voided and reprinted in one confirmation.
Every action goes through the services of ``server.caisse`` (channels, sheets, letters),
which write the audit log.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from starlette.responses import Response

from server.caisse import channels, letters, sheets
from server.caisse.channels import ChannelError
from server.caisse.letters import LetterError
from server.caisse.sheets import SheetError
from server.caisse.voucher_pdf import render_sheets
from server.console.call import Call, problem
from server.console.forms import Errors
from server.periods import period_at
from server.storage.core import MEMBER_REVOKED

MEMBER_ID = re.compile(r"^[0-9a-f]{16}$")
MAX_EUROS = Decimal(100_000)


def _months(call: Call) -> tuple[str, str]:
    tz = ZoneInfo(call.ctx.config.timezone)
    current = period_at(call.now(), tz)
    return current.name, current.next(tz).name


def _actor(call: Call) -> str | None:
    return call.user.email if call.user else None


def _pdf(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _sheet_problem(call: Call, exc: SheetError) -> Response:
    messages = {
        "WRONG_MONTH": call._("Vouchers are printed for this month or the next one only."),
        "WALLET_MEMBER": call._(
            "This member pays with the phone: set their channel to paper or both first."
        ),
        "NO_MEMBER": call._("There is no such member."),
        "MEMBER_REVOKED": call._("This member is revoked."),
        "NO_SHEET": call._("There is no such voucher sheet."),
        "ALREADY_VOID": call._("This sheet is already cancelled."),
    }
    status = 404 if exc.error in ("NO_MEMBER", "NO_SHEET") else 409
    return problem(call, status, messages.get(exc.error, call._("The vouchers cannot be printed.")))


# -- the month --------------------------------------------------------------------------


async def paper(call: Call) -> Response:
    this_month, next_month = _months(call)
    month = call.param("month", 20) or this_month
    try:
        month = sheets.month(call.ctx.config, month).name
    except SheetError:
        return problem(call, 400, call._("Choose a month like %(m)s.", m=this_month))
    async with call.ctx.storage.read() as q:
        rows = await sheets.tracking(q, now=call.now(), period=month)
        members = await q.vouchers.paper_members()
        in_force = {
            r["member_id"] for r in await q.vouchers.sheets(period=month) if r["voided_at"] is None
        }
        waiting_letters = len(await q.vouchers.letter_members())
    totals = {
        key: sum(r[key] for r in rows)
        for key in ("issued_cents", "redeemed_cents", "voided_cents", "expired_cents")
    }
    totals["outstanding_cents"] = sum(r["outstanding_cents"] for r in rows)
    return call.render(
        "paper.html",
        {
            "month": month,
            "printable": month in (this_month, next_month),
            "months": (this_month, next_month),
            "rows": rows,
            "totals": totals,
            "paper_members": len(members),
            "to_print": [m for m in members if m["member_id"] not in in_force],
            "waiting_letters": waiting_letters,
        },
    )


async def paper_print(call: Call) -> Response:
    this_month, _next = _months(call)
    month = call.field("month", 10) or this_month
    member_id = call.field("member", 20) or None
    if member_id is not None and not MEMBER_ID.match(member_id):
        return problem(call, 404, call._("There is no such member."))
    try:
        run = await sheets.print_run(
            call.ctx.storage,
            call.ctx.config,
            call.ctx.keyring,
            month,
            member_id=member_id,
            actor=_actor(call),
            now=call.now(),
        )
    except SheetError as exc:
        return _sheet_problem(call, exc)
    body = render_sheets(
        call.ctx.config, [s.printable() for s in run.sheets], printed_at=call.now()
    )
    name = f"bons-{month}-{member_id}.pdf" if member_id else f"bons-{month}.pdf"
    return _pdf(body, name)


# -- one member -------------------------------------------------------------------------


async def _member(call: Call) -> Any:
    member_id = call.path_param("member_id")
    if not MEMBER_ID.match(member_id):
        return None
    async with call.ctx.storage.read() as q:
        return await q.member(member_id)


async def _member_page(
    call: Call, member: Any, *, errors: Errors | None = None, values: dict | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    async with call.ctx.storage.read() as q:
        channel = await channels.member_channel(q, member["member_id"])
        rows = await q.vouchers.sheets(member_id=member["member_id"], limit=24)
        found = await sheets.load_sheets(q, rows, {member["member_id"]: member["name"]}, call.now())
        tracked = await sheets.tracking(q, now=call.now(), member_id=member["member_id"])
    paper_euros = ""
    if channel.paper_cents:
        paper_euros = f"{channel.paper_cents // 100},{channel.paper_cents % 100:02d}"
    return call.render(
        "member_paper.html",
        {
            "member": member,
            "channel": channel,
            "values": values or {"channel": channel.channel, "paper_euros": paper_euros},
            "errors": errors or Errors(),
            "sheets": found,
            "tracked": tracked,
            "months": _months(call),
            "done": call.param("done", 40),
        },
        status=status,
    )


async def member_paper(call: Call) -> Response:
    member = await _member(call)
    if member is None:
        return problem(call, 404, call._("There is no such member."))
    return await _member_page(call, member)


def _cents(text: str) -> int | None:
    cleaned = text.replace("€", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if (
        not value.is_finite()
        or value <= 0
        or value > MAX_EUROS
        or value != value.quantize(Decimal("0.01"))
    ):
        return None
    return int(value * 100)


async def member_channel(call: Call) -> Response:
    member = await _member(call)
    if member is None:
        return problem(call, 404, call._("There is no such member."))
    if member["status"] == MEMBER_REVOKED:
        return problem(call, 409, call._("This member is revoked."))
    chosen = call.field("channel", 10)
    euros = call.field("paper_euros", 20)
    values = {"channel": chosen, "paper_euros": euros}
    errors = Errors()
    if chosen not in channels.CHANNELS:
        errors.add("channel", call._("Choose how the member receives the allowance."))
    cents = None
    if chosen == channels.BOTH:
        cents = _cents(euros)
        if cents is None:
            errors.add(
                "paper_euros",
                call._("Enter the monthly amount on paper in euros, for example 50 or 37,50."),
            )
    if errors:
        return await _member_page(call, member, errors=errors, values=values, status=400)
    try:
        async with call.ctx.storage.transaction() as q:
            await channels.set_channel(
                q,
                call.ctx.config,
                call.ctx.keyring.root,
                member["member_id"],
                chosen,
                cents,
                actor=_actor(call),
                now=call.now(),
            )
    except ChannelError:
        return problem(call, 409, call._("The channel cannot be changed."))
    return call.redirect("member_paper", done="channel", member_id=member["member_id"])


# -- void and reprint -------------------------------------------------------------------


async def _sheet(call: Call) -> sheets.Sheet | None:
    raw = call.path_param("sheet_id")
    if not raw.isdigit() or len(raw) > 12:
        return None
    async with call.ctx.storage.read() as q:
        try:
            return await sheets.get_sheet(q, int(raw), call.now())
        except SheetError:
            return None


async def sheet_void_confirm(call: Call) -> Response:
    sheet = await _sheet(call)
    if sheet is None:
        return problem(call, 404, call._("There is no such voucher sheet."))
    if sheet.voided_at is not None:
        return problem(call, 409, call._("This sheet is already cancelled."))
    return call.render(
        "sheet_void.html",
        {"sheet": sheet, "replaceable": sheet.period in _months(call)},
    )


async def sheet_void(call: Call) -> Response:
    sheet = await _sheet(call)
    if sheet is None:
        return problem(call, 404, call._("There is no such voucher sheet."))
    reason = call.field("reason", 200) or "lost"
    replace = call.field("replace", 5) == "1" and sheet.period in _months(call)
    try:
        async with call.ctx.storage.transaction() as q:
            if replace:
                await sheets.replace_sheet(
                    q, call.ctx.config, call.ctx.keyring, sheet.sheet_id, reason=reason,
                    actor=_actor(call), now=call.now(),
                )  # fmt: skip
            else:
                await sheets.void_sheet(
                    q, call.ctx.config, call.ctx.keyring.root, sheet.sheet_id, reason=reason,
                    actor=_actor(call), now=call.now(),
                )  # fmt: skip
    except SheetError as exc:
        return _sheet_problem(call, exc)
    return call.redirect(
        "member_paper", done="replaced" if replace else "voided", member_id=sheet.member_id
    )


# -- activation letters -----------------------------------------------------------------


async def letters_page(call: Call) -> Response:
    async with call.ctx.storage.read() as q:
        waiting = await q.vouchers.letter_members()
    return call.render("letters.html", {"waiting": waiting[:500], "total": len(waiting)})


async def letters_print(call: Call) -> Response:
    member_id = call.field("member", 20) or None
    if member_id is not None and not MEMBER_ID.match(member_id):
        return problem(call, 404, call._("There is no such member."))
    month, _next = _months(call)
    try:
        async with call.ctx.storage.transaction() as q:
            batch = await letters.activation_letters(
                q,
                call.ctx.config,
                member_ids=[member_id] if member_id else None,
                period=month,
                actor=_actor(call),
                now=call.now(),
            )
    except LetterError:
        return problem(call, 409, call._("No activation letter can be made for this member."))
    body = letters.render_letters(call.ctx.config, batch, printed_at=call.now())
    return _pdf(body, f"lettres-{member_id}.pdf" if member_id else "lettres.pdf")

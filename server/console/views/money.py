"""Reconciliation, fraud findings, settlements, SEPA file and statements (admins only).

Everything here calls the reconciliation engineer's services; this module only
reads forms, shows results and writes the audit log.
"""

from __future__ import annotations

from starlette.responses import Response

from server.console import ledger, lookups
from server.console.call import Call
from server.console.lookups import MERCHANT_ID
from server.errors import Conflict, Invalid, NotFound
from server.ledger.findings import DECISIONS, FindingError, export_finding, list_findings
from server.ledger.findings import decide as record
from server.ledger.reconcile import reconcile
from server.ledger.sepa import SepaError, export_sepa
from server.ledger.statements import FORMATS, StatementError
from server.ledger.statements import statement as make

MAX_NOTE = 1000


async def reconciliation(call: Call) -> Response:

    pending = await list_findings(call.ctx.storage, pending_only=True, limit=200)
    decided = [f for f in await list_findings(call.ctx.storage, limit=200) if f.decision]
    return call.render(
        "reconciliation.html",
        {
            "settlements": await ledger.settlements(call),
            "pending": pending,
            "decided": decided[-20:],
            "done": call.param("done", 40),
        },
    )


async def run(call: Call) -> Response:

    c = call.ctx
    # "Today included" means up to and including this second: a scan synced a moment
    # ago carries the current second as its time.
    until = call.now() + 1 if call.field("include_today", 5) == "yes" else None
    summary = await reconcile(c.storage, c.config, now=call.now(), until=until, root=c.keyring.root)
    async with c.storage.transaction() as q:
        await call.audit(
            q,
            "reconcile.run",
            str(summary.settlement_id or ""),
            {
                "payments": summary.payments,
                "total_cents": summary.total_cents,
                "findings_new": summary.findings_new,
                "blocked": len(summary.blocked),
            },
        )
    return call.render(
        "reconcile_done.html", {"summary": summary, "today_included": until is not None}
    )


async def finding(call: Call) -> Response:

    finding_id = lookups.finding_id(call)
    try:
        item = await export_finding(call.ctx.storage, finding_id)
    except FindingError:
        raise NotFound(call._("There is no such finding.")) from None
    async with call.ctx.storage.read() as q:
        names = {m["merchant_id"]: m["name"] for m in await q.merchants()}
    return call.render(
        "finding.html", {"f": item, "decisions": DECISIONS, "error": "", "shop_names": names}
    )


async def decide(call: Call) -> Response:

    finding_id = lookups.finding_id(call)
    decision = call.field("decision", 20)
    note = call.field("note", MAX_NOTE + 1)
    if decision not in DECISIONS or len(note) > MAX_NOTE or any(ord(ch) < 32 for ch in note):
        raise Invalid(
            call._(
                "Choose a decision; the note must be one line of at most %(n)s characters.",
                n=MAX_NOTE,
            )
        )
    try:
        await record(call.ctx.storage, finding_id, decision, note or None, call.now())
    except FindingError:
        raise NotFound(call._("There is no such finding.")) from None
    async with call.ctx.storage.transaction() as q:
        await call.audit(q, "finding.decide", finding_id, {"decision": decision})
    return call.redirect("finding", done="decided", finding_id=finding_id)


async def settlement(call: Call) -> Response:
    row, payouts = await lookups.settlement(call)
    sepa_ready = (
        bool(call.ctx.config.sepa_debtor_iban)
        if hasattr(call.ctx.config, "sepa_debtor_iban")
        else False
    )
    return call.render("settlement.html", {"s": row, "payouts": payouts, "sepa_ready": sepa_ready})


async def sepa(call: Call) -> Response:

    sid = lookups.found(lookups.settlement_id(call), call._("There is no such settlement."))
    try:
        export = await export_sepa(
            call.ctx.storage, call.ctx.config, now=call.now(), settlement_id=sid
        )
    except SepaError as exc:
        raise Conflict(call._("The SEPA file cannot be made: %(why)s", why=exc.message)) from None
    async with call.ctx.storage.transaction() as q:
        await call.audit(
            q,
            "sepa.download",
            str(sid),
            {"msg_id": export.msg_id, "control_sum_cents": export.control_sum_cents},
        )
    return Response(
        export.body,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="sepa-{sid}.xml"'},
    )


async def statement(call: Call) -> Response:

    sid, merchant_id = lookups.settlement_id(call), call.path_param("merchant_id")
    fmt = call.param("format", 10) or "html"
    missing = call._("There is no such statement.")
    if sid is None or not MERCHANT_ID.fullmatch(merchant_id) or fmt not in FORMATS:
        raise NotFound(missing)
    try:
        body = await make(
            call.ctx.storage,
            call.ctx.config,
            settlement_id=sid,
            merchant_id=merchant_id,
            fmt=fmt,
            now=call.now(),
        )
    except StatementError as exc:
        if exc.code != StatementError.code:
            raise  # the server cannot make it (a font missing): logged, not "no such statement"
        raise NotFound(missing) from None
    media = {
        "csv": "text/csv; charset=utf-8",
        "html": "text/html; charset=utf-8",
        "pdf": "application/pdf",
    }[fmt]
    name = f"statement-{sid}-{merchant_id}.{fmt}"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


async def shop_payouts(call: Call) -> Response:
    shop = await lookups.shop(call)
    rows = await ledger.shop_payouts(call, shop["merchant_id"])
    return call.render("shop_payouts.html", {"shop": shop, "rows": rows})

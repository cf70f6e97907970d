"""Votes in the console: what a committee needs for its monthly meeting.

List the proposals; enter one for a member who has no wallet (or for the
committee); screen a member's proposal; record an assembly's counted hands or
paper ballots, and proxies brought on paper; close a vote — an approved shop's
enrolment code is shown then, to hand to the shopkeeper. Individual ballots are
never shown; an administrator (the auditor) can recount from them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response

from server.caisse import ballots, decisions, proposals, statutes
from server.caisse.statutes import DemocracyError
from server.console.call import Call, problem
from server.console.forms import Errors
from server.console.qr import qr_svg
from server.storage.core import Queries

Action = Callable[[Queries, proposals.Proposal], Awaitable[None]]
PROPOSAL_ID = re.compile(r"^p-[0-9a-f]{8}$")
NEW_KINDS = (
    statutes.SHOP_APPROVAL,
    statutes.SHOP_WITHDRAWAL,
    statutes.CONSULTATION,
    statutes.RULE_CHANGE,
)


def _actor(call: Call) -> str:
    return call.user.email if call.user else "console"


async def proposal_list(call: Call) -> Response:
    now = call.now()
    async with call.ctx.storage.read() as q:
        rows = []
        for p in await proposals.all_proposals(q):
            cast = sum((await q.democracy.ballot_counts(p.proposal_id)).values())
            rows.append({"p": p, "state": p.state(now), "ballots": cast})
        due = await decisions.reviews_due(q, call.ctx.config, now)
    return call.render("proposals.html", {"rows": rows, "due": due, "done": call.param("done", 40)})


async def proposal_new(call: Call) -> Response:
    return call.render("proposal_new.html", {"values": {}, "errors": Errors(), "kinds": NEW_KINDS})


def _form_details(call: Call, kind: str) -> dict[str, Any]:
    if kind == statutes.SHOP_APPROVAL:
        return {
            "shop_name": call.field("shop_name", 300),
            "address": call.field("address", 400),
            "hours": call.field("hours", 400),
            "iban": call.field("iban", 60),
            "bic": call.field("bic", 20),
            "scope": call.field("scope", 300),
        }
    if kind == statutes.SHOP_WITHDRAWAL:
        return {
            "merchant_id": call.field("merchant_id", 80),
            "effective": call.field("effective", 20) or None,
            "reason": call.field("reason", 2000),
        }
    if kind == statutes.RULE_CHANGE:
        value: Any = call.field("value", 2000)
        if call.field("topic", 20) == "allowance":
            value = int(value) if value.isdigit() else value
        return {
            "topic": call.field("topic", 20),
            "period": call.field("period", 10),
            "value": value,
        }
    return {}


async def proposal_create(call: Call) -> Response:
    kind = call.field("kind", 40)
    names = [
        "kind",
        "title",
        "text",
        "proposed_by",
        "shop_name",
        "address",
        "hours",
        "iban",
        "bic",
        "scope",
        "merchant_id",
        "effective",
        "reason",
        "topic",
        "period",
        "value",
        "options",
        "opens",
        "closes",
    ]
    values = {name: call.field(name, 4000) for name in names}
    errors = Errors()
    if kind not in NEW_KINDS:
        errors.add("kind", call._("Choose what the proposal is about."))
    if not values["title"]:
        errors.add("title", call._("Give the proposal a title."))
    if bool(values["opens"]) != bool(values["closes"]):
        errors.add(
            "closes", call._("Give both the first and the last day of the vote, or neither.")
        )
    options = [o.strip() for o in values["options"].splitlines() if o.strip()]
    if not errors:
        proposer = values["proposed_by"] or _actor(call)
        try:
            async with call.ctx.storage.transaction() as q:
                made = await proposals.add_proposal(
                    q,
                    call.ctx.config,
                    kind=kind,
                    title=values["title"],
                    text=values["text"],
                    options=options,
                    details=_form_details(call, kind),
                    opens=values["opens"] or None,
                    closes=values["closes"] or None,
                    proposed_by=f"console:{proposer}",
                    actor=_actor(call),
                    now=call.now(),
                )
        except DemocracyError as exc:
            errors.general.append(str(exc))
        else:
            return call.redirect("proposal", done="proposal_added", proposal_id=made.proposal_id)
    return call.render(
        "proposal_new.html", {"values": values, "errors": errors, "kinds": NEW_KINDS}, status=400
    )


async def _proposal_or_none(call: Call) -> proposals.Proposal | None:
    proposal_id = call.path_param("proposal_id")
    if not PROPOSAL_ID.match(proposal_id):
        return None
    async with call.ctx.storage.read() as q:
        row = await q.democracy.proposal(proposal_id)
    return proposals.from_row(row) if row is not None else None


async def _detail(
    call: Call, p: proposals.Proposal, *, errors: Errors | None = None, status: int = 200
) -> Response:
    now = call.now()
    async with call.ctx.storage.read() as q:
        cast = sum((await q.democracy.ballot_counts(p.proposal_id)).values())
        counts = await q.democracy.assembly_counts(p.proposal_id)
        proxies = await q.democracy.proxies(p.proposal_id)
        assessments = await statutes.assessments(q, p.proposal_id)
        eligible = len(await ballots.voters(q, p, now))
    return call.render(
        "proposal.html",
        {
            "p": p,
            "state": p.state(now),
            "ballots": cast,
            "eligible": eligible,
            "counts": [{**dict(r), "counts": json.loads(r["counts"])} for r in counts],
            "proxies": proxies,
            "assessments": assessments,
            "errors": errors or Errors(),
            "done": call.param("done", 40),
        },
        status=status,
    )


async def proposal_detail(call: Call) -> Response:
    p = await _proposal_or_none(call)
    if p is None:
        return problem(call, 404, call._("There is no such proposal."))
    return await _detail(call, p)


async def _act(call: Call, action: Action, done: str) -> Response:
    """Run ``action(q, p)`` in a transaction; its refusal is shown on the proposal's page."""
    p = await _proposal_or_none(call)
    if p is None:
        return problem(call, 404, call._("There is no such proposal."))
    try:
        async with call.ctx.storage.transaction() as q:
            await action(q, p)
    except DemocracyError as exc:
        errors = Errors()
        errors.general.append(str(exc))
        return await _detail(call, p, errors=errors, status=exc.status if exc.status < 500 else 400)
    return call.redirect("proposal", done=done, proposal_id=p.proposal_id)


async def proposal_screen(call: Call) -> Response:
    accept = call.field("decision", 20) != "set-aside"

    async def action(q: Queries, p: proposals.Proposal) -> None:
        details = {k: call.field(k, 60) for k in ("iban", "bic") if call.field(k, 60)}
        await proposals.screen(
            q,
            call.ctx.config,
            p.proposal_id,
            accept=accept,
            opens=call.field("opens", 20) or None,
            closes=call.field("closes", 20) or None,
            details=details,
            note=call.field("note", 2000),
            actor=_actor(call),
            now=call.now(),
        )

    return await _act(call, action, "screened")


async def proposal_assembly(call: Call) -> Response:
    async def action(q: Queries, p: proposals.Proposal) -> None:
        counts: dict[str, Any] = {}
        for i, choice in enumerate(p.choices):
            raw = call.field(f"count_{i}", 10)
            if raw:
                if not raw.isdigit():
                    raise DemocracyError(call._("Each count is a whole number."))
                counts[choice] = int(raw)
        await ballots.record_assembly(
            q,
            proposal_id=p.proposal_id,
            meeting=call.field("meeting", 200),
            counts=counts,
            actor=_actor(call),
            now=call.now(),
        )

    return await _act(call, action, "assembly_recorded")


async def proposal_proxy(call: Call) -> Response:
    async def action(q: Queries, p: proposals.Proposal) -> None:
        await ballots.grant_proxy(
            q,
            proposal_id=p.proposal_id,
            grantor_id=call.field("grantor", 40),
            holder_id=call.field("holder", 40),
            actor=_actor(call),
            now=call.now(),
        )

    return await _act(call, action, "proxy_recorded")


async def proposal_close(call: Call) -> Response:
    p = await _proposal_or_none(call)
    if p is None:
        return problem(call, 404, call._("There is no such proposal."))
    try:
        async with call.ctx.storage.transaction() as q:
            closed = await decisions.close(
                q,
                call.ctx.config,
                call.ctx.keyring.root,
                proposal_id=p.proposal_id,
                actor=_actor(call),
                now=call.now(),
            )
    except DemocracyError as exc:
        errors = Errors()
        errors.general.append(str(exc))
        return await _detail(call, p, errors=errors, status=exc.status)
    code = closed.applied.get("enrollment_code")
    return call.render(
        "proposal_closed.html",
        {
            "p": p,
            "closed": closed,
            "code": code,
            "server": call.ctx.config.base_url.rstrip("/"),
            "qr": qr_svg(code, label=call._("QR code of the enrolment code")) if code else "",
        },
    )


async def proposal_recount(call: Call) -> Response:
    p = await _proposal_or_none(call)
    if p is None:
        return problem(call, 404, call._("There is no such proposal."))
    async with call.ctx.storage.read() as q:
        recount = await ballots.recount(q, p.proposal_id, call.now())
    return call.render("proposal_recount.html", {"p": p, "recount": recount})

"""Members' votes and proposals from the wallet, and what everybody may read.

Signed by the member's key (SPEC §8): the proposals with the member's own ballot,
a ballot (one per member and proposal, changeable until the close, a receipt
returned), a proposal for the committee to screen. Public: the directory of
approved shops, the decisions log, a draw's published inputs.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.api.auth import MEMBER, authenticate
from server.caisse import ballots, decisions, panels, proposals
from server.caisse.statutes import KINDS, SHOP_REVIEW, DemocracyError
from server.context import ctx
from server.errors import ApiError, BadRequest
from server.storage.core import Queries
from server.validation import json_object, read_body, string

PROPOSAL_ID = re.compile(r"^p-[0-9a-f]{8}$")
PANEL_ID = re.compile(r"^panel-[0-9a-f]{6}$")
MEMBER_ID = re.compile(r"^[0-9a-f]{16}$")
MEMBER_KINDS = tuple(k for k in KINDS if k != SHOP_REVIEW)  # reviews come from the calendar


def _api_error(exc: DemocracyError) -> ApiError:
    return ApiError(exc.error, str(exc), status=exc.status)


async def _member_view(q: Queries, member_id: str, now: int) -> list[dict[str, Any]]:
    mine = {row["proposal_id"]: row for row in await q.democracy.ballots_of_member(member_id)}
    held: dict[str, list[str]] = {}
    for row in await q.democracy.proxies_held(member_id):
        held.setdefault(row["proposal_id"], []).append(row["grantor_id"])
    out = []
    for p in await proposals.all_proposals(q):
        own = p.proposed_by == f"member:{member_id}"
        if p.status in (proposals.SCREENING, proposals.SET_ASIDE) and not own:
            continue
        ballot = mine.get(p.proposal_id)
        item: dict[str, Any] = {
            "proposal_id": p.proposal_id,
            "kind": p.kind,
            "title": p.title,
            "text": p.text,
            "options": list(p.choices),
            "opens_at": p.opens_at,
            "closes_at": p.closes_at,
            "status": p.state(now),
            "my_choice": ballot["choice"] if ballot else None,
            "my_receipt": ballot["receipt"] if ballot else None,
            "details": p.public_details(),
            "rule": {k: p.rule.to_json()[k] for k in ("deciders", "quorum_percent", "majority")},
            "can_vote": p.is_open(now) and await ballots.may_vote(q, p, member_id, now),
        }
        if p.screening_note and own:
            item["screening_note"] = p.screening_note
        if p.result is not None:
            r = proposals.public_result(p.result)
            item["result"] = {
                k: r.get(k)
                for k in ("eligible", "ballots", "tally", "quorum_met", "outcome", "winner")
            }
            item["result"]["my_receipt_counted"] = bool(
                ballot and ballot["receipt"] in r.get("receipts", [])
            )
        if p.proposal_id in held:
            proxies = []
            for grantor in held[p.proposal_id]:
                row = await q.member(grantor)
                cast = await q.democracy.ballot(p.proposal_id, grantor)
                proxies.append(
                    {
                        "member_id": grantor,
                        "name": row["name"] if row else "",
                        "choice": cast["choice"]
                        if cast and cast["holder_id"] == member_id
                        else None,
                        "voted_themselves": bool(cast and cast["channel"] == ballots.WALLET),
                    }
                )
            item["proxies"] = proxies
        out.append(item)
    return out


async def wallet_proposals(request: Request) -> Response:
    """GET /api/v1/wallet/proposals (signed by the member key) → {proposals: [...]}."""
    c = ctx(request)
    body = await read_body(request, c.config.max_body_bytes)
    now = c.now()
    who = await authenticate(request, body, c.storage, role=MEMBER, now=now)
    async with c.storage.read() as q:
        listed = await _member_view(q, who.id, now)
    return JSONResponse({"proposals": listed}, headers={"Cache-Control": "no-store"})


async def wallet_ballot(request: Request) -> Response:
    """POST /api/v1/wallet/ballots {proposal_id, choice[, on_behalf_of]} → {…, receipt}."""
    c = ctx(request)
    body = await read_body(request, c.config.max_body_bytes)
    now = c.now()
    who = await authenticate(request, body, c.storage, role=MEMBER, now=now)
    obj = json_object(body)
    proposal_id = string(obj, "proposal_id", max_len=20, pattern=PROPOSAL_ID)
    choice = string(obj, "choice", max_len=200)
    grantor = string(obj, "on_behalf_of", max_len=16, pattern=MEMBER_ID, required=False)
    try:
        async with c.storage.transaction() as q:
            receipt = await ballots.cast(
                q,
                proposal_id=proposal_id,
                member_id=who.id,
                choice=choice,
                on_behalf_of=grantor,
                actor=f"member:{who.id}",
                now=now,
            )
    except DemocracyError as exc:
        raise _api_error(exc) from None
    return JSONResponse(receipt.to_json())


async def wallet_propose(request: Request) -> Response:
    """POST /api/v1/wallet/proposals {kind, title, text, options?, details?} → screening."""
    c = ctx(request)
    body = await read_body(request, c.config.max_body_bytes)
    now = c.now()
    who = await authenticate(request, body, c.storage, role=MEMBER, now=now)
    obj = json_object(body)
    kind = obj.get("kind")
    if kind not in MEMBER_KINDS:
        raise BadRequest("INVALID_REQUEST", f"'kind' must be one of {', '.join(MEMBER_KINDS)}")
    options, details = obj.get("options") or [], obj.get("details") or {}
    if not isinstance(options, list) or not isinstance(details, dict):
        raise BadRequest("INVALID_REQUEST", "'options' is a list and 'details' an object")
    try:
        async with c.storage.transaction() as q:
            made = await proposals.add_proposal(
                q,
                c.config,
                kind=kind,
                title=obj.get("title"),  # type: ignore[arg-type]
                text=obj.get("text") or "",
                options=options,
                details=details,
                proposed_by=f"member:{who.id}",
                actor=f"member:{who.id}",
                now=now,
            )
    except DemocracyError as exc:
        raise _api_error(exc) from None
    return JSONResponse(
        {"proposal_id": made.proposal_id, "status": made.state(now)}, status_code=201
    )


# -- public -------------------------------------------------------------------------------


async def shops(request: Request) -> Response:
    """GET /api/v1/shops → {shops: [{merchant_id, name, address, hours, scope, ...}]}."""
    c = ctx(request)
    async with c.storage.read() as q:
        listed = await decisions.directory(q, c.config, c.now())
    return JSONResponse({"shops": listed}, headers={"Cache-Control": "public, max-age=300"})


async def decisions_log(request: Request) -> Response:
    """GET /api/v1/decisions → {decisions: [...]}: every close with its tally and receipts."""
    c = ctx(request)
    async with c.storage.read() as q:
        log = await decisions.decisions_log(q)
    return JSONResponse({"decisions": log}, headers={"Cache-Control": "no-cache"})


async def panel(request: Request) -> Response:
    """GET /api/v1/panels/{panel_id} → a draw's published inputs and result."""
    c = ctx(request)
    panel_id = str(request.path_params.get("panel_id", ""))
    if not PANEL_ID.match(panel_id):
        raise ApiError("UNKNOWN_PANEL", "there is no such panel", status=404)
    try:
        async with c.storage.read() as q:
            published = await panels.published(q, panel_id)
    except DemocracyError as exc:
        raise _api_error(exc) from None
    return JSONResponse(published)

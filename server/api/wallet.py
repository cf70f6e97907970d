"""Member endpoints: activate a wallet with a code, fetch the month's credentials, and the
receipts of the payments the caisse received, and the household's contribution
("Ma cotisation")."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from keys.signed_request import b64url_encode
from server.api.auth import MEMBER, authenticate
from server.api.common import code_accepted, code_request, invalid_code
from server.caisse.dues import DuesError, member_contribution
from server.caisse.issuing import credentials_for
from server.caisse.members import activate
from server.context import ctx
from server.errors import ApiError
from server.ledger.receipts import member_receipts
from server.periods import period_at
from server.validation import read_body


async def activate_wallet(request: Request) -> Response:
    """POST /api/v1/wallet/activate {code, public_key} → {credential, credentials}."""
    c = ctx(request)
    code_hash, public_key = await code_request(request, c)
    now = c.now()
    async with c.storage.transaction() as q:  # a MemberError rolls back: the code stays unspent
        activation = await activate(
            q, c.config, c.keyring, code_hash=code_hash, public_key=public_key, now=now
        )
    if activation is None:
        invalid_code()
    await code_accepted(request, c)
    encoded = [b64url_encode(cred) for cred in activation.credentials]
    return JSONResponse({"credential": encoded[0], "credentials": encoded})


async def credential(request: Request) -> Response:
    """GET /api/v1/wallet/credential (signed by the member key) → {credentials}."""
    c = ctx(request)
    body = await read_body(request, c.config.max_body_bytes)
    now = c.now()
    who = await authenticate(request, body, c.storage, role=MEMBER, now=now)
    async with c.storage.transaction() as q:
        creds = await credentials_for(
            q,
            c.config,
            c.keyring,
            member_id=who.id,
            sub=who.sub,  # type: ignore[arg-type]
            public_key=who.public_key,
            now=now,
        )
    return JSONResponse({"credentials": [b64url_encode(cred) for cred in creds]})


async def receipts(request: Request) -> Response:
    """GET /api/v1/wallet/receipts (signed by the member key) → {receipts, max_token_age_s}."""
    c = ctx(request)
    body = await read_body(request, c.config.max_body_bytes)
    now = c.now()
    who = await authenticate(request, body, c.storage, role=MEMBER, now=now)
    async with c.storage.read() as q:
        found = await member_receipts(q, who.id, now)
    return JSONResponse({"receipts": found, "max_token_age_s": c.config.max_token_age_s})


async def contribution(request: Request) -> Response:
    """GET /api/v1/wallet/contribution (signed) → the household's contribution and transfer."""
    c = ctx(request)
    body = await read_body(request, c.config.max_body_bytes)
    now = c.now()
    who = await authenticate(request, body, c.storage, role=MEMBER, now=now)
    period = period_at(now, ZoneInfo(c.config.timezone)).name
    try:
        async with c.storage.read() as q:
            out = await member_contribution(q, c.config, who.id, current_period=period)
    except DuesError as exc:
        raise ApiError(exc.error, str(exc), status=404) from None
    return JSONResponse(out)

"""Member endpoints: activate a wallet with a code, fetch the month's credentials."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from keys.signed_request import b64url_encode
from server.api.auth import MEMBER, authenticate
from server.api.common import code_accepted, code_request, invalid_code
from server.caisse.issuing import credentials_for
from server.caisse.members import activate
from server.context import ctx
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

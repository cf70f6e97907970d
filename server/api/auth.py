"""Who signed this request: a member's wallet or a merchant's scanner (SPEC §8).

The signature and its freshness are checked first (``keys.signed_request``),
then the key is looked up: unknown → 401, revoked or suspended → 403, and a key
of the other role → 403, so a member key never acts on a merchant route.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from keys.signed_request import (
    MAX_SKEW_S,
    SignedRequestError,
    parse_authorization,
    verify_request,
)
from server.errors import Forbidden, Unauthorized
from server.storage.core import MEMBER_ACTIVE, MERCHANT_ACTIVE, MERCHANT_WITHDRAWN, Storage

MEMBER, MERCHANT = "member", "merchant"


@dataclass(frozen=True, slots=True)
class Principal:
    role: str
    id: str  # member_id or merchant_id
    public_key: bytes
    sub: bytes | None = None


def signed_path(request: Request) -> str:
    """PATH as the client sent it, with its query string (what the client signed)."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else request.url.path
    query = request.scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


def _unauthorized(exc: SignedRequestError) -> Unauthorized:
    return Unauthorized("UNAUTHORIZED", str(exc), headers={"WWW-Authenticate": "SSA1-Sig"})


async def authenticate(
    request: Request, body: bytes, storage: Storage, *, role: str, now: int
) -> Principal:
    try:
        signed = parse_authorization(request.headers.get("authorization"))
        verify_request(signed, method=request.method, path=signed_path(request), body=body, now=now)
    except SignedRequestError as exc:
        raise _unauthorized(exc) from None
    return await _principal(signed.public_key, storage, role)


async def claimed(request: Request, storage: Storage, *, role: str, now: int) -> Principal:
    """Who the header CLAIMS signs, checked as far as possible without the body: a fresh
    timestamp and an enrolled key of this role, not revoked. Before a large body is read
    (the signature itself, over the body's hash, is checked by ``authenticate``)."""
    try:
        signed = parse_authorization(request.headers.get("authorization"))
    except SignedRequestError as exc:
        raise _unauthorized(exc) from None
    if abs(now - signed.ts) > MAX_SKEW_S:
        raise _unauthorized(SignedRequestError("request timestamp is too far from server time"))
    return await _principal(signed.public_key, storage, role)


async def _principal(key: bytes, storage: Storage, role: str) -> Principal:
    async with storage.read() as q:
        member = await q.member_by_key(key)
        device = None if member else await q.device(key)
    if member is None and device is None:
        raise Unauthorized("UNKNOWN_KEY", "this key is not enrolled with the caisse")
    if role == MEMBER:
        if member is None:
            raise Forbidden("FORBIDDEN", "a merchant key cannot act as a member")
        if member["status"] != MEMBER_ACTIVE:
            raise Forbidden("KEY_REVOKED", "this member's access has been revoked")
        return Principal(MEMBER, member["member_id"], key, bytes(member["sub"]))
    if device is None:
        raise Forbidden("FORBIDDEN", "a member key cannot act as a merchant")
    if device["revoked_at"] is not None:
        raise Forbidden("KEY_REVOKED", "this scanner key has been revoked")
    # A shop withdrawn by decision still uploads: its receipts from before the date
    # decided are paid, later ones are refused at intake (MERCHANT_WITHDRAWN).
    if device["status"] not in (MERCHANT_ACTIVE, MERCHANT_WITHDRAWN):
        raise Forbidden("MERCHANT_SUSPENDED", "this merchant is suspended")
    return Principal(MERCHANT, device["merchant_id"], key)

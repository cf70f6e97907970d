"""Merchant endpoints: enrol a scanner with a code, upload signed batches of scans, and ask
where this till stands (revoked, shop suspended) before a till shows a green OK."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from keys.signed_request import b64url_encode
from keys.tokens import MAX_UINT
from server.api.auth import MERCHANT, authenticate, claimed
from server.api.common import code_accepted, code_request, invalid_code
from server.caisse.merchants import enroll
from server.context import ctx
from server.errors import BadRequest, Forbidden, PayloadTooLarge
from server.ledger.intake import Scan
from server.storage.core import MERCHANT_WITHDRAWN
from server.validation import integer, json_object, read_body, string

BATCH_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
RESULT = re.compile(r"^[A-Za-z0-9_ -]{1,64}$")
MAX_QR = 8192
MAX_TS = 2**40


async def enroll_scanner(request: Request) -> Response:
    """POST /api/v1/merchant/enroll {code, public_key} → {merchant_id, root_public_key, ...}."""
    c = ctx(request)
    code_hash, public_key = await code_request(request, c)
    now = c.now()
    async with c.storage.transaction() as q:  # a MerchantError rolls back: the code stays unspent
        merchant_id = await enroll(q, code_hash=code_hash, public_key=public_key, now=now)
        profile = await q.democracy.shop_profile(merchant_id) if merchant_id else None
    if merchant_id is None:
        invalid_code()
    await code_accepted(request, c)
    current = await c.trust_lists.current(now)
    return JSONResponse(
        {
            "merchant_id": merchant_id,
            "root_public_key": b64url_encode(c.keyring.root_public_key),
            "trust_list": b64url_encode(current.body) if current else None,
            # what the members approved the shop for (None: the whole shop), for its till
            "scope": profile["scope"] if profile is not None else None,
        }
    )


def parse_scans(obj: dict, max_scans: int) -> list[Scan]:
    raw = obj.get("scans")
    if not isinstance(raw, list):
        raise BadRequest("INVALID_REQUEST", "'scans' must be a list")
    if len(raw) > max_scans:
        raise PayloadTooLarge("BATCH_TOO_LARGE", f"a batch holds at most {max_scans} scans")
    scans = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise BadRequest("INVALID_REQUEST", f"scans[{i}] must be an object")
        try:
            qr = string(item, "qr", max_len=MAX_QR)
            scanned_at = integer(item, "scanned_at", lo=0, hi=MAX_TS)
            result = string(item, "result", max_len=64, pattern=RESULT, required=False)
            list_seq = None
            if item.get("trust_list_seq") is not None:  # SSA1 1.1; older tills omit it
                list_seq = integer(item, "trust_list_seq", lo=0, hi=MAX_UINT)
        except BadRequest as exc:
            raise BadRequest(exc.error, f"scans[{i}]: {exc.message}") from None
        scans.append(Scan(qr, scanned_at, result, list_seq))  # type: ignore[arg-type]
    return scans


async def upload_batch(request: Request) -> Response:
    """POST /api/v1/merchant/batches (signed by a scanner key) → {batch_id, received, ...}."""
    c = ctx(request)
    now = c.now()

    async def a_till_of_the_caisse() -> object:
        return await claimed(request, c.storage, role=MERCHANT, now=now)

    # A body over the normal limit is read only for an enrolled till's fresh header.
    check = (c.config.max_body_bytes, a_till_of_the_caisse)
    body = await read_body(request, c.config.max_batch_bytes, check_first=check)
    who = await authenticate(request, body, c.storage, role=MERCHANT, now=now)
    obj = json_object(body)
    batch_id = string(obj, "batch_id", max_len=128, pattern=BATCH_ID)
    scans = parse_scans(obj, c.config.max_batch_scans)
    result = await c.intake.receive(
        merchant_id=who.id,
        device_key=who.public_key,
        batch_id=batch_id,  # type: ignore[arg-type]
        scans=scans,
        now=now,
    )
    return JSONResponse(result.to_json())


async def till_status(request: Request) -> Response:
    """GET /api/v1/merchant/status (signed by a scanner key) → where this till stands.

    A revoked key or a suspended shop gets the usual 403 (KEY_REVOKED,
    MERCHANT_SUSPENDED), so a till learns it even with nothing to upload; an
    enrolled one gets its shop's name, how often the caisse re-signs its trust
    list, and whom to call.
    """
    c = ctx(request)
    body = await read_body(request, c.config.max_body_bytes)
    now = c.now()
    who = await authenticate(request, body, c.storage, role=MERCHANT, now=now)
    async with c.storage.read() as q:
        merchant = await q.merchant(who.id)
    if merchant is not None and merchant["status"] == MERCHANT_WITHDRAWN:
        # its uploads are still taken (receipts from before the date are paid), but the till
        # must stop accepting payments: the members withdrew the shop's approval
        raise Forbidden(
            "MERCHANT_WITHDRAWN",
            "the members withdrew this shop's approval: it accepts no more payments",
        )
    return JSONResponse(
        {
            "merchant_id": who.id,
            "merchant_name": merchant["name"] if merchant else who.id,
            "status": "active",
            "trust_list_refresh_s": c.config.trust_list_refresh_s,
            "trust_list_validity_s": c.config.trust_list_validity_s,
            "contact": c.config.contact,
        }
    )

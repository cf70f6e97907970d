"""What the caisse tells a wallet (its receipts) and a till (where it stands), through HTTP on
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from keys import tokens
from keys.signed_request import b64url_encode
from server.caisse import merchants

from .reconcile_helpers import run, scan, upload_ok

pytestmark = pytest.mark.anyio
RECEIPTS, STATUS = "/api/v1/wallet/receipts", "/api/v1/merchant/status"


async def test_a_member_sees_which_payments_reached_the_caisse_and_what_became_of_them(api):
    shop = await api.enroll(await api.add_shop("Épicerie A"))
    member = await api.activate()
    other = await api.activate()
    cti = b64url_encode(tokens.decode_credential(member.credential).cti)
    t = api.now
    paid = member.pay(1230, 1, 1230, t - 30)
    stale = member.pay(500, 2, 1730, t - 3000)  # shown long after it was made
    await upload_ok(api, shop, [scan(paid, t - 20), scan(stale, t - 10)])
    # A forged payment naming the member's credential is refused, and is not theirs to see.
    signed = tokens.from_qr(member.pay(100, 3, 1830, t - 5))
    forged = tokens.to_qr(signed[:-1] + bytes([signed[-1] ^ 1]))  # always another signature
    await upload_ok(api, shop, [scan(forged, t - 5)])
    await upload_ok(api, shop, [scan(other.pay(700, 1, 700, t - 5), t - 4)])

    r = await api.signed("GET", RECEIPTS, member.key)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["max_token_age_s"] == api.cfg.max_token_age_s
    assert [(x["seq"], x["status"], x["reason"]) for x in body["receipts"]] == [
        (1, "received", None),
        (2, "refused", "STALE"),
    ]
    first = body["receipts"][0]
    assert (first["cti"], first["amount_cents"], first["merchant_name"], first["scanned_at"]) == (
        cti,
        1230,
        "Épicerie A",
        t - 20,
    )
    await run(api)  # the nightly settlement pays the shop
    after = (await api.signed("GET", RECEIPTS, member.key)).json()["receipts"]
    assert [x["status"] for x in after] == ["paid", "refused"]


async def test_receipts_are_for_the_member_only(api):
    shop = await api.enroll()
    r = await api.signed("GET", RECEIPTS, shop.key)
    assert r.status_code == 403 and r.json()["error"] == "FORBIDDEN"
    r = await api.client.get(RECEIPTS)
    assert r.status_code == 401


async def test_a_till_learns_it_was_revoked_or_its_shop_suspended_with_nothing_to_upload(api):
    shop = await api.enroll(await api.add_shop("Boulangerie"))
    r = await api.signed("GET", STATUS, shop.key)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "merchant_id": shop.merchant_id,
        "merchant_name": "Boulangerie",
        "status": "active",
        "trust_list_refresh_s": api.cfg.trust_list_refresh_s,
        "trust_list_validity_s": api.cfg.trust_list_validity_s,
        "contact": None,
    }
    async with api.ctx.storage.transaction() as q:
        await merchants.set_status(q, shop.merchant_id, "suspended", api.now)
    r = await api.signed("GET", STATUS, shop.key)
    assert r.status_code == 403 and r.json()["error"] == "MERCHANT_SUSPENDED"
    async with api.ctx.storage.transaction() as q:
        await merchants.set_status(q, shop.merchant_id, "active", api.now)
        await merchants.revoke_device(
            q, shop.merchant_id, b64url_encode(bytes(shop.key.verify_key)), api.now
        )
    r = await api.signed("GET", STATUS, shop.key)
    assert r.status_code == 403 and r.json()["error"] == "KEY_REVOKED"
    member = await api.activate()
    r = await api.signed("GET", STATUS, member.key)
    assert r.status_code == 403 and r.json()["error"] == "FORBIDDEN"

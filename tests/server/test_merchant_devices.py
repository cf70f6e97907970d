"""Revoking one scanner of a shop (a stolen till), on SQLite and PostgreSQL, through real HTTP."""

from __future__ import annotations

import asyncio

import pytest
from nacl.signing import SigningKey

from keys.sample import key_with_leading_dash
from keys.signed_request import b64url_encode
from server.caisse import codes, merchants
from server.caisse.setup import open_caisse

from .conftest import Shop
from .reconcile_helpers import scan, upload_ok
from .test_admin_cli import admin, init  # noqa: F401 - the CLI fixture

pytestmark = pytest.mark.anyio


async def _second_till(api, shop: Shop) -> Shop:
    async with api.ctx.storage.transaction() as q:
        code = (
            await merchants.new_enrollment_code(q, api.cfg, shop.merchant_id, api.now)
        ).enrollment_code
    return await api.enroll(Shop(shop.merchant_id, code, SigningKey.generate()))


async def _revoke(api, shop: Shop) -> merchants.DeviceRevoked:
    async with api.ctx.storage.transaction() as q:
        return await merchants.revoke_device(
            q, shop.merchant_id, b64url_encode(bytes(shop.key.verify_key)), api.now
        )


async def test_a_revoked_tills_uploads_are_refused_and_the_shops_other_till_still_works(api):
    stolen = await api.enroll()
    other = await _second_till(api, stolen)
    member = await api.activate()
    t = api.now
    unsent = [scan(member.pay(300, 1, 300, t - 30), t - 20)]
    result = await _revoke(api, stolen)
    assert result.newly_revoked and result.revoked_at == api.now
    before = await api.counts()
    r = await api.upload(stolen, unsent)
    assert r.status_code == 403 and r.json()["error"] == "KEY_REVOKED"
    assert await api.counts() == before  # nothing stored
    # The shop's other till keeps working, and may upload scans recovered from the old one.
    answer = await upload_ok(api, other, unsent)
    assert answer["received"] == 1
    async with api.ctx.storage.read() as q:
        rows = await q.conn.fetchall("SELECT merchant_id FROM scans")
    assert [row[0] for row in rows] == [stolen.merchant_id]
    # The revoked key cannot be enrolled again, even with a fresh code.
    async with api.ctx.storage.transaction() as q:
        code = await merchants.new_enrollment_code(q, api.cfg, stolen.merchant_id, api.now)
    r = await api.client.post(
        "/api/v1/merchant/enroll",
        json={
            "code": code.enrollment_code,
            "public_key": b64url_encode(bytes(stolen.key.verify_key)),
        },
    )
    assert r.status_code == 409


async def test_revoking_twice_is_harmless_and_a_key_of_another_shop_is_refused(api):
    a, b = await api.enroll(await api.add_shop("A")), await api.enroll(await api.add_shop("B"))
    await _revoke(api, a)
    assert not (await _revoke(api, a)).newly_revoked
    with pytest.raises(merchants.MerchantError, match="not a scanner of"):
        async with api.ctx.storage.transaction() as q:
            await merchants.revoke_device(
                q, a.merchant_id, b64url_encode(bytes(b.key.verify_key)), api.now
            )
    for bad in ("", "not base64!", b64url_encode(b"short")):
        with pytest.raises(merchants.MerchantError):
            async with api.ctx.storage.transaction() as q:
                await merchants.revoke_device(q, a.merchant_id, bad, api.now)
    assert (await upload_ok(api, b, []))["received"] == 0  # B untouched


def test_ssa_admin_lists_devices_and_revokes_one_by_key(admin):  # noqa: F811
    init(admin)
    code, (shop,), _ = admin("merchant", "add", "--name", "Épicerie", "--iban", "BE71096123456769")
    assert code == 0
    keys = [key_with_leading_dash(), SigningKey.generate()]  # argparse's '-' trap

    async def enrol() -> None:
        url = admin.db[1] if admin.db else None
        async with open_caisse(admin.data, url) as caisse:
            for key in keys:
                async with caisse.storage.transaction() as q:
                    fresh = await merchants.new_enrollment_code(
                        q, caisse.config, shop["merchant_id"], 1
                    )
                    await merchants.enroll(
                        q,
                        code_hash=codes.code_hash(fresh.enrollment_code),
                        public_key=bytes(key.verify_key),
                        now=2,
                    )

    asyncio.run(enrol())
    key0 = b64url_encode(bytes(keys[0].verify_key))
    code, out, err = admin(
        "merchant", "revoke-device", "--merchant", shop["merchant_id"], "--key", key0
    )
    assert code == 0 and out[0]["key"] == key0 and out[0]["revoked_at"]
    assert "merchant code" in err
    code, devices, _ = admin("merchant", "devices", shop["merchant_id"])
    assert code == 0
    assert {d["key"]: d["revoked_at"] is not None for d in devices} == {
        key0: True,
        b64url_encode(bytes(keys[1].verify_key)): False,
    }
    code, _, err = admin("merchant", "revoke-device", "--merchant", "nobody", "--key", key0)
    assert code == 1 and "no merchant" in err

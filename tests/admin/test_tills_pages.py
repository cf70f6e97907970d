"""A shop's tills in the console: listed on its page, one revoked (a stolen till) through
the confirmation form, on SQLite and PostgreSQL over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from nacl.signing import SigningKey

from keys.signed_request import b64url_encode
from server.caisse import merchants

from .conftest import server_helpers

pytestmark = pytest.mark.anyio


def _key(shop: Any) -> str:
    return b64url_encode(bytes(shop.key.verify_key))


async def _two_tills(api: Any) -> tuple[Any, Any]:
    """One shop, two enrolled tills (the second with a fresh enrolment code)."""
    first = await api.enroll()
    async with api.ctx.storage.transaction() as q:
        out = await merchants.new_enrollment_code(q, api.cfg, first.merchant_id, api.now)
    second = server_helpers.Shop(first.merchant_id, out.enrollment_code, SigningKey.generate())
    return first, await api.enroll(second)


async def _upload(api: Any, till: Any, member: Any, seq: int) -> Any:
    qr = member.pay(100, seq, 100 * seq, api.now)
    return await api.upload(till, [{"qr": qr, "scanned_at": api.now, "result": "OK"}])


async def _revoked_at(api: Any, till: Any) -> int | None:
    async with api.ctx.storage.read() as q:
        rows = await merchants.devices(q, till.merchant_id)
    return next(d.revoked_at for d in rows if d.key == _key(till))


async def _audit(api: Any) -> list[Any]:
    async with api.ctx.storage.read() as q:
        rows = await q.conn.fetchall(
            "SELECT actor, target, detail FROM admin_audit WHERE action = 'shop.revoke_till'"
        )
    return list(rows)


async def test_a_revoked_till_is_refused_and_the_shops_other_till_still_uploads(
    admin, accounts
) -> None:
    stolen, kept = await _two_tills(accounts)
    member = await accounts.activate()
    assert (await _upload(accounts, stolen, member, 1)).status_code == 200
    shop_path = f"/admin/shops/{stolen.merchant_id}"
    page = await admin.get(shop_path)
    assert _key(stolen)[:8] in page.text and _key(kept)[:8] in page.text
    assert page.text.count("badge-active") >= 2 and _key(stolen) in page.text  # in the link
    assert "Last upload" in page.text and page.text.count(">never<") == 1  # only `kept`

    confirm = await admin.get(shop_path + "/tills/revoke", params={"key": _key(stolen)})
    assert confirm.status_code == 200
    assert f'name="key" value="{_key(stolen)}"' in confirm.text
    assert "ssa-scanner handover" in confirm.text and "enrolment code" in confirm.text
    r = await admin.post(shop_path + "/tills/revoke", {"key": _key(stolen)})
    assert r.status_code == 303 and r.headers["location"].endswith("?done=till_revoked")
    after = await admin.get(r.headers["location"])
    assert "The till is revoked" in after.text and "revoked on" in after.text

    refused = await _upload(accounts, stolen, member, 2)
    assert refused.status_code == 403 and refused.json()["error"] == "KEY_REVOKED"
    ok = await _upload(accounts, kept, member, 2)
    assert ok.status_code == 200 and ok.json()["received"] == 1, ok.text

    [entry] = await _audit(accounts)
    assert entry["actor"] == admin.email and entry["target"] == stolen.merchant_id
    assert _key(stolen) in entry["detail"]
    log = await admin.get("/admin/audit", params={"action": "shop.revoke_till"})
    assert _key(stolen) in log.text

    again = await admin.post(shop_path + "/tills/revoke", {"key": _key(stolen)})
    assert again.status_code == 409 and len(await _audit(accounts)) == 1
    gone = await admin.get(shop_path + "/tills/revoke", params={"key": _key(stolen)})
    assert gone.status_code == 409


async def test_without_the_csrf_token_nothing_is_revoked(operator, accounts) -> None:
    till, _other = await _two_tills(accounts)
    path = f"/admin/shops/{till.merchant_id}/tills/revoke"
    for token in (None, "forged"):
        data = {"key": _key(till)} | ({"csrf_token": token} if token else {})
        r = await operator.client.post(path, data=data)
        assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    assert await _revoked_at(accounts, till) is None and await _audit(accounts) == []
    member = await accounts.activate()
    assert (await _upload(accounts, till, member, 1)).status_code == 200
    ok = await operator.post(path, {"key": _key(till)})  # operators may revoke a till
    assert ok.status_code == 303 and await _revoked_at(accounts, till) is not None


async def test_only_a_key_of_this_shop_names_a_till(admin, accounts) -> None:
    mine, theirs = await accounts.enroll(), await accounts.enroll()
    path = f"/admin/shops/{mine.merchant_id}/tills/revoke"
    for key in (_key(theirs), _key(mine) + "x", _key(mine)[:-1], "", "%00"):
        assert (await admin.post(path, {"key": key})).status_code == 404, key
        assert (await admin.get(path, params={"key": key})).status_code == 404, key
    assert (await admin.get(path)).status_code == 404
    assert (
        await admin.post("/admin/shops/NOPE/tills/revoke", {"key": _key(mine)})
    ).status_code == 404
    assert await _revoked_at(accounts, mine) is None and await _revoked_at(accounts, theirs) is None


async def test_a_shop_without_tills_says_how_to_enrol_one(admin, accounts) -> None:
    shop = await accounts.add_shop("Sans caisse")
    page = await admin.get(f"/admin/shops/{shop.merchant_id}")
    assert "No till enrolled yet" in page.text

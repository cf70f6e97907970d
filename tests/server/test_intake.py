"""Batch intake: the server re-verifies every token, stores all of them, once."""

from __future__ import annotations

import secrets

import pytest
from nacl.signing import SigningKey

from keys import tokens
from server.caisse import members
from server.caisse.setup import Caisse, rotate_issuer_key

pytestmark = pytest.mark.anyio


async def stored(api, shop, batch_id):
    async with api.ctx.storage.read() as q:
        return {bytes(r["scan_key"]): r for r in await q.scans_of_batch(shop.merchant_id, batch_id)}


def scan(qr, at, result="OK"):
    return {"qr": qr, "scanned_at": at, "result": result}


async def test_valid_payments_are_received_and_stored_with_what_reconciliation_needs(api):
    member, shop = await api.activate(), await api.enroll()
    now = api.now
    qrs = [member.pay(500, i, 500 * i, now - 10, aud=shop.merchant_id) for i in (1, 2, 3)]
    r = await api.upload(shop, [scan(q, now - 5) for q in qrs], batch_id="b1")
    assert r.status_code == 200, r.text
    assert r.json() == {"batch_id": "b1", "received": 3, "duplicates": 0, "rejected": 0}
    rows = await stored(api, shop, "b1")
    assert len(rows) == 3
    row = next(r for r in rows.values() if r["seq"] == 2)
    assert row["status"] == "accepted" and row["code"] == "OK"
    assert row["kind"] == "payment"
    assert (row["amount_cents"], row["cumulative_cents"]) == (500, 1000)
    assert bytes(row["member_sub"]).hex() == member.member_id
    assert bytes(row["cti"]) == tokens.decode_token(member.credential).cti
    assert tokens.to_qr(bytes(row["token"])) in qrs
    assert row["scanned_at"] == now - 5 and row["received_at"] == now
    assert row["trust_list_seq"] >= 1 and row["merchant_id"] == shop.merchant_id


async def test_forged_replayed_over_allowance_and_expired_tokens_are_rejected_with_reasons(
    api, clock
):
    member, shop = await api.activate(), await api.enroll()
    now = api.now
    good = member.pay(1000, 1, 1000, now - 5)
    thief = SigningKey.generate()  # signs with a key that is not the credential's
    forged = tokens.to_qr(
        tokens.encode_payment(
            credential_cose=member.credential,
            amount_cents=100,
            seq=2,
            cumulative_cents=1100,
            iat=now - 5,
            member_key=thief,
        )
    )
    over = member.pay(100, 3, api.cfg.allowance_cents + 1, now - 5)
    wrong_shop = member.pay(100, 4, 1300, now - 5, aud="another-shop")
    r = await api.upload(
        shop,
        [
            scan(good, now),
            scan(forged, now),
            scan(over, now),
            scan(wrong_shop, now),
            scan("SSA1:GARBAGE", now),
        ],
        batch_id="b1",
    )
    assert r.json() == {"batch_id": "b1", "received": 1, "duplicates": 0, "rejected": 4}
    codes = sorted(r["code"] for r in (await stored(api, shop, "b1")).values())
    assert codes == ["BAD_SIGNATURE", "MALFORMED", "OK", "OVER_ALLOWANCE", "WRONG_MERCHANT"]
    # Replayed in a later batch: a duplicate, nothing new stored.
    before = await api.counts()
    r = await api.upload(shop, [scan(good, now + 1), scan(forged, now + 1)], batch_id="b2")
    assert r.json() == {"batch_id": "b2", "received": 0, "duplicates": 2, "rejected": 0}
    assert (await api.counts())["scans"] == before["scans"]
    # Next month the credential has expired.
    cred = tokens.decode_token(member.credential)
    clock.t = cred.exp + 3600
    await api.client.get("/api/v1/trust-list")  # the till refreshes its list, as every day
    late = member.pay(100, 5, 1400, int(clock()) - 5)
    r = await api.upload(shop, [scan(late, int(clock()))], batch_id="b3")
    assert r.json()["rejected"] == 1
    assert [r["code"] for r in (await stored(api, shop, "b3")).values()] == ["EXPIRED"]


async def test_the_scanners_verdict_is_never_trusted(api):
    member, shop = await api.activate(), await api.enroll()
    over = member.pay(100, 1, api.cfg.allowance_cents + 100, api.now - 5)
    r = await api.upload(shop, [scan(over, api.now, result="OK")], batch_id="b")
    assert r.json()["rejected"] == 1
    row = next(iter((await stored(api, shop, "b")).values()))
    assert (row["code"], row["scanner_result"], row["status"]) == (
        "OVER_ALLOWANCE",
        "OK",
        "rejected",
    )


async def test_the_same_batch_twice_changes_nothing(api):
    member, shop = await api.activate(), await api.enroll()
    scans = [scan(member.pay(100, i, 100 * i, api.now - 5), api.now) for i in (1, 2)]
    first = await api.upload(shop, scans, batch_id="again")
    counts = await api.counts()
    second = await api.upload(shop, scans, batch_id="again")
    assert first.json()["received"] == 2
    assert second.json() == {"batch_id": "again", "received": 0, "duplicates": 2, "rejected": 0}
    assert await api.counts() == counts


async def test_a_token_twice_in_one_batch_is_one_payment_and_one_duplicate(api):
    member, shop = await api.activate(), await api.enroll()
    qr = member.pay(100, 1, 100, api.now - 5)
    r = await api.upload(shop, [scan(qr, api.now - 1), scan("  " + qr + "\r\n", api.now)])
    assert (r.json()["received"], r.json()["duplicates"]) == (1, 1)


async def test_scan_times_in_the_future_or_too_old_are_rejected(api):
    member, shop = await api.activate(), await api.enroll()
    now = api.now
    future = member.pay(100, 1, 100, now + 3600)
    old = member.pay(100, 2, 200, now - api.cfg.max_scan_age_s - 100)
    r = await api.upload(
        shop, [scan(future, now + 3600), scan(old, now - api.cfg.max_scan_age_s - 10)], batch_id="t"
    )
    assert r.json()["rejected"] == 2
    codes = sorted(r["code"] for r in (await stored(api, shop, "t")).values())
    assert codes == ["SCAN_IN_FUTURE", "SCAN_TOO_OLD"]


async def test_each_scan_is_judged_by_the_trust_list_in_force_when_it_was_scanned(api, clock):
    member, shop = await api.activate(), await api.enroll()
    before_revocation = api.now
    clock.advance(600)
    async with api.ctx.storage.transaction() as q:
        await members.revoke_member(q, api.cfg, api.keys.root, member.member_id, api.now)
    clock.advance(600)
    early = member.pay(100, 1, 100, before_revocation - 5)
    late = member.pay(100, 2, 200, api.now - 5)
    r = await api.upload(shop, [scan(early, before_revocation), scan(late, api.now)], batch_id="r")
    assert (r.json()["received"], r.json()["rejected"]) == (1, 1)
    rows = await stored(api, shop, "r")
    by_seq = {row["seq"]: row for row in rows.values()}
    assert by_seq[1]["code"] == "OK" and by_seq[2]["code"] == "REVOKED"
    assert by_seq[2]["trust_list_seq"] > by_seq[1]["trust_list_seq"]


async def test_credentials_of_a_rotated_issuer_key_stay_valid(api, clock):
    member, shop = await api.activate(), await api.enroll()
    old_kid = tokens.decode_token(member.credential).kid
    cfg = api.cfg
    await rotate_issuer_key(Caisse(cfg, api.ctx.storage), "test-passphrase", api.keys.root, api.now)
    clock.advance(60)
    r = await api.upload(shop, [scan(member.pay(100, 1, 100, api.now - 5), api.now)])
    assert r.json()["received"] == 1
    # A new member now gets a credential from the new key.
    other = await api.activate()
    assert tokens.decode_token(other.credential).kid != old_kid


async def test_batch_and_body_size_limits_answer_413(api):
    shop = await api.enroll()
    too_many = [scan("SSA1:X", api.now)] * (api.cfg.max_batch_scans + 1)
    r = await api.upload(shop, too_many)
    assert r.status_code == 413 and r.json()["error"] == "BATCH_TOO_LARGE"
    big = b'{"batch_id": "x", "scans": [' + b" " * api.cfg.max_batch_bytes + b"]}"
    r = await api.signed("POST", "/api/v1/merchant/batches", shop.key, raw=big)
    assert r.status_code == 413 and r.json()["error"] == "PAYLOAD_TOO_LARGE"
    r = await api.client.post(
        "/api/v1/wallet/activate", content=b" " * (api.cfg.max_body_bytes + 1)
    )
    assert r.status_code == 413
    assert (await api.counts())["batches"] == 0


async def test_a_voucher_from_the_caisse_is_received(api):
    shop = await api.enroll()
    now = api.now
    voucher = tokens.to_qr(
        tokens.encode_voucher(
            iss=api.cfg.caisse,
            cti=secrets.token_bytes(16),
            amount_cents=1000,
            nbf=now - 60,
            exp=now + 86400,
            issuer_key=api.keys.issuer[0],
        )
    )
    r = await api.upload(shop, [scan(voucher, now)], batch_id="v")
    assert r.json()["received"] == 1
    row = next(iter((await stored(api, shop, "v")).values()))
    assert (row["kind"], row["amount_cents"]) == ("voucher", 1000)


async def test_the_same_batch_uploaded_concurrently_is_stored_once(api):
    import asyncio

    member, shop = await api.activate(), await api.enroll()
    scans = [scan(member.pay(100, i, 100 * i, api.now - 5), api.now) for i in range(1, 6)]
    answers = await asyncio.gather(*(api.upload(shop, scans, batch_id="race") for _ in range(3)))
    received = sorted(a.json()["received"] for a in answers)
    assert received == [0, 0, 5]
    assert (await api.counts())["scans"] == 5

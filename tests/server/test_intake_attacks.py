"""Batch intake tried as an attacker would (issue 11), on SQLite and on PostgreSQL.

Each test is one way the money path gave way: a 64-bit overflow failing whole
batches, a race counting one token twice, a refusal for the upload's metadata
that stuck to the token forever, a batch id reused for other scans, and the
trust list a scan is judged by (SPEC 1.1 §8, and a backdated scan).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from nacl.signing import SigningKey

from keys import signed_request, tokens
from server.caisse import members
from server.ledger import findings
from server.ledger.detection import SPENT_AFTER_REVOCATION

from .reconcile_helpers import ledger, run

pytestmark = pytest.mark.anyio


def scan(qr: str, at: int, seq: int | None = None) -> dict:
    out = {"qr": qr, "scanned_at": at, "result": "OK"}
    if seq is not None:
        out["trust_list_seq"] = seq
    return out


async def rows_of(api, batch_id: str, shop) -> list:
    async with api.ctx.storage.read() as q:
        return await q.scans_of_batch(shop.merchant_id, batch_id)


async def latest_seq(api) -> int:
    async with api.ctx.storage.read() as q:
        return int((await q.latest_trust_list())["seq"])


def huge(member, now: int, **fields: int) -> str:
    values = {"amount_cents": 1, "seq": 1, "cumulative_cents": 1, "iat": now - 5, **fields}
    return tokens.to_qr(
        tokens.encode_payment(credential_cose=member.credential, member_key=member.key, **values)
    )


# -- 1. integers beyond 64 bits ----------------------------------------------------------


async def test_a_uint_beyond_64_bits_is_one_malformed_token_and_never_fails_the_batch(api):
    member, shop = await api.activate(), await api.enroll()
    now = api.now
    bad = [
        huge(member, now, seq=2**63),
        huge(member, now, iat=2**63),
        huge(member, now, amount_cents=2**63, cumulative_cents=2**63),
        huge(member, now, cumulative_cents=2**64 - 1),
    ]
    honest = member.pay(250, 1, 250, now - 5)
    r = await api.upload(shop, [scan(q, now - 2) for q in [*bad, honest]], batch_id="big")
    assert r.status_code == 200, r.text
    assert r.json() == {"batch_id": "big", "received": 1, "duplicates": 0, "rejected": 4}
    codes = sorted(row["code"] for row in await rows_of(api, "big", shop))
    assert codes == ["MALFORMED"] * 4 + ["OK"]
    assert (await run(api)).total_cents == 250


async def test_a_trust_list_seq_beyond_64_bits_is_a_clear_400(api):
    member, shop = await api.activate(), await api.enroll()
    qr = member.pay(100, 1, 100, api.now - 5)
    r = await api.upload(shop, [scan(qr, api.now, seq=2**63)])
    assert r.status_code == 400 and "trust_list_seq" in r.json()["message"]
    assert (await api.counts())["scans"] == 0


# -- 3. two shops, one token, at once ----------------------------------------------------------


async def test_two_shops_uploading_one_token_at_once_are_one_receipt_and_one_copy(api):
    member = await api.activate()
    shops = [await api.enroll(await api.add_shop(f"S{i}")) for i in range(2)]
    for trial in range(5):
        qr = member.pay(100, trial + 1, 100 * (trial + 1), api.now - 5)
        answers = await asyncio.gather(*(api.upload(s, [scan(qr, api.now)]) for s in shops))
        assert sorted(a.json()["received"] for a in answers) == [0, 1], trial
        assert sorted(a.json()["duplicates"] for a in answers) == [0, 1], trial
    async with api.ctx.storage.read() as q:
        assert await q.conn.fetchval("SELECT COUNT(*) FROM scans") == 5
        assert await q.conn.fetchval("SELECT COUNT(*) FROM scan_copies") == 5


# -- 5. a refusal for the upload's metadata is not "seen" --------------------------------------


async def test_a_token_refused_for_its_scan_time_is_accepted_once_the_clock_is_fixed(api):
    member, shop = await api.activate(), await api.enroll()
    now = api.now
    qr = member.pay(700, 1, 700, now - 5)
    fast = await api.upload(shop, [scan(qr, now + 3600)], batch_id="fast")  # an hour ahead
    assert fast.json()["rejected"] == 1
    [row] = await rows_of(api, "fast", shop)
    assert row["code"] == "SCAN_IN_FUTURE"
    fixed = await api.upload(shop, [scan(qr, now - 2)], batch_id="fixed")
    assert fixed.json() == {"batch_id": "fixed", "received": 1, "duplicates": 0, "rejected": 0}
    again = await api.upload(shop, [scan(qr, now - 2)], batch_id="again")
    assert again.json()["duplicates"] == 1
    summary = await run(api)
    assert (summary.payments, summary.total_cents) == (1, 700)
    async with api.ctx.storage.read() as q:
        [old] = await q.intake.refusals_of(bytes(row["scan_key"]))
    assert (old["code"], old["batch_id"]) == ("SCAN_IN_FUTURE", "fast")  # still explained


async def test_a_token_refused_at_the_wrong_shop_is_still_paid_to_the_shop_it_names(api):
    member = await api.activate()
    right = await api.enroll(await api.add_shop("Right"))
    wrong = await api.enroll(await api.add_shop("Wrong"))
    qr = member.pay(400, 1, 400, api.now - 5, aud=right.merchant_id)
    first = await api.upload(wrong, [scan(qr, api.now - 1)])
    assert first.json()["rejected"] == 1
    second = await api.upload(right, [scan(qr, api.now - 1)])
    assert second.json()["received"] == 1
    summary = await run(api)
    assert [(p["merchant_id"], p["amount_cents"]) for p in summary.payouts] == [
        (right.merchant_id, 400)
    ]


async def test_a_refusal_for_what_the_token_is_stays_a_duplicate(api):
    member, shop = await api.activate(), await api.enroll()
    over = member.pay(20_000, 1, 20_000, api.now - 5)  # above the allowance whatever the time
    assert (await api.upload(shop, [scan(over, api.now)])).json()["rejected"] == 1
    assert (await api.upload(shop, [scan(over, api.now - 1)])).json()["duplicates"] == 1


# -- 6. a batch id stands for its scans --------------------------------------------------------


async def test_a_batch_id_reused_for_other_scans_is_refused_and_stores_nothing(api):
    member, shop = await api.activate(), await api.enroll()
    first = [scan(member.pay(100, 1, 100, api.now - 5), api.now)]
    assert (await api.upload(shop, first, batch_id="b-1")).json()["received"] == 1
    counts = await api.counts()
    other = [scan(member.pay(100, 2, 200, api.now - 5), api.now)]
    r = await api.upload(shop, other, batch_id="b-1")
    assert r.status_code == 409 and r.json()["error"] == "BATCH_ID_REUSED"
    assert await api.counts() == counts
    same = await api.upload(shop, first, batch_id="b-1")
    assert same.json() == {"batch_id": "b-1", "received": 0, "duplicates": 1, "rejected": 0}


@pytest.mark.parametrize("batch_id", ["x\n", "x\r\n", "\nx"])
async def test_a_batch_id_with_a_newline_is_refused(api, batch_id):
    shop = await api.enroll()
    r = await api.upload(shop, [], batch_id=batch_id)
    assert r.status_code == 400 and "batch_id" in r.json()["message"]


@pytest.mark.parametrize("result", ["OK\n", "OK\x00"])
async def test_a_scanner_result_with_a_control_character_is_refused(api, result):
    member, shop = await api.activate(), await api.enroll()
    item = {"qr": member.pay(100, 1, 100, api.now - 5), "scanned_at": api.now, "result": result}
    r = await api.upload(shop, [item])
    assert r.status_code == 400


# -- 4. which trust list judges a scan (SPEC 1.1 §8) -------------------------------------------


async def revoked_at(api, member) -> int:
    """Revoke the member now (a new list); the seq of the list before it."""
    before = await latest_seq(api)
    async with api.ctx.storage.transaction() as q:
        await members.revoke_member(q, api.cfg, api.keys.root, member.member_id, api.now)
    assert await latest_seq(api) > before
    return before


async def test_a_payment_the_till_accepted_with_its_list_is_paid_and_reported(api, clock):
    member, shop = await api.activate(), await api.enroll()
    old = await revoked_at(api, member)
    clock.advance(100)
    qr = member.pay(300, 1, 300, api.now - 5)
    r = await api.upload(shop, [scan(qr, api.now - 1, seq=old)], batch_id="lost-phone")
    assert r.json()["received"] == 1
    [row] = await rows_of(api, "lost-phone", shop)
    assert (row["judged_by"], row["trust_list_seq"], row["till_list_seq"]) == ("till", old, old)
    assert row["revoked_by_seq"] == old + 1
    assert "spent after revocation, before the till knew" in row["message"]
    summary = await run(api)
    assert summary.total_cents == 300 and summary.blocked == []
    [finding] = await findings.list_findings(api.ctx.storage)
    assert finding.kind == SPENT_AFTER_REVOCATION and finding.amount_cents == 300
    assert finding.blocked is None


async def test_without_the_tills_list_the_list_in_force_at_scan_time_judges(api, clock):
    member, shop = await api.activate(), await api.enroll()
    await revoked_at(api, member)
    clock.advance(100)
    qr = member.pay(300, 1, 300, api.now - 5)
    r = await api.upload(shop, [scan(qr, api.now)], batch_id="old-till")
    assert r.json()["rejected"] == 1
    [row] = await rows_of(api, "old-till", shop)
    assert (row["code"], row["judged_by"]) == ("REVOKED", "in_force")


async def test_a_list_the_server_never_signed_or_outside_its_validity_is_not_used(api, clock):
    member, shop = await api.activate(), await api.enroll()
    old = await revoked_at(api, member)
    clock.advance(100)
    made_up = member.pay(300, 1, 300, api.now - 5)
    r = await api.upload(shop, [scan(made_up, api.now, seq=old + 50)], batch_id="made-up")
    assert r.json()["rejected"] == 1
    [row] = await rows_of(api, "made-up", shop)
    assert row["code"] == "REVOKED" and "not one this server signed" in row["message"]
    clock.advance(api.cfg.trust_list_validity_s)  # the till's old list has expired by now
    expired = member.pay(300, 2, 600, api.now - 5)
    r = await api.upload(shop, [scan(expired, api.now, seq=old)], batch_id="expired")
    [row] = await rows_of(api, "expired", shop)
    assert row["judged_by"] == "in_force" and "outside the validity" in row["message"]


async def test_a_till_cannot_go_back_to_an_older_list(api, clock):
    member, shop = await api.activate(), await api.enroll()
    bystander = await api.activate()
    old = await revoked_at(api, member)
    clock.advance(100)
    newer = bystander.pay(100, 1, 100, api.now - 5)
    assert (await api.upload(shop, [scan(newer, api.now, seq=old + 1)])).json()["received"] == 1
    clock.advance(10)
    qr = member.pay(300, 1, 300, api.now - 5)
    r = await api.upload(shop, [scan(qr, api.now, seq=old)], batch_id="back")
    assert r.json()["rejected"] == 1
    [row] = await rows_of(api, "back", shop)
    assert row["code"] == "REVOKED" and "already reported trust list seq" in row["message"]


async def test_a_backdated_scan_is_judged_at_upload_time(api, clock):
    """Revoked at T; a payment signed after T, backdated to T - 3, with the old list."""
    member, shop = await api.activate(), await api.enroll()
    bystander = await api.activate()
    revoked = api.now
    old = await revoked_at(api, member)
    clock.advance(400)
    honest = bystander.pay(100, 1, 100, api.now - 5)
    assert (await api.upload(shop, [scan(honest, api.now - 3, seq=old + 1)])).json()[
        "received"
    ] == 1
    clock.advance(60)
    backdated = member.pay(300, 1, 300, revoked - 3)
    r = await api.upload(shop, [scan(backdated, revoked - 3, seq=old)], batch_id="backdated")
    assert r.json()["rejected"] == 1
    [row] = await rows_of(api, "backdated", shop)
    assert (row["code"], row["judged_by"]) == ("REVOKED", "upload")
    assert "judged at upload time" in row["message"]
    assert (await run(api)).total_cents == 100


async def test_a_backlog_sent_as_several_batches_in_a_row_is_judged_at_scan_time(api, clock):
    shop = await api.enroll()
    wallets = [await api.activate() for _ in range(4)]
    seq = await latest_seq(api)
    start = api.now
    clock.advance(3 * 3600)  # a market day offline: every scan is hours old on arrival
    for i, wallet in enumerate(wallets):
        at = start + 60 * i
        qr = wallet.pay(100, 1, 100, at - 5)
        r = await api.upload(shop, [scan(qr, at, seq=seq)], batch_id=f"backlog-{i}")
        assert r.json()["received"] == 1, (i, await rows_of(api, f"backlog-{i}", shop))
        clock.advance(1)
    assert len(await ledger(api)) == 0 and (await run(api)).payments == 4


# -- 12. what an unknown caller can make the server read; one JSON reading ----------------


async def test_a_large_batch_body_is_read_only_for_an_enrolled_tills_fresh_header(api):
    shop = await api.enroll()
    stranger = SigningKey.generate()
    pulled = []

    async def body():
        for _ in range(64):  # 4 MiB in 64 KiB chunks
            pulled.append(1)
            yield b" " * 65_536

    path = "/api/v1/merchant/batches"
    for key, ts in ((stranger, api.now), (shop.key, api.now - 3600)):
        pulled.clear()
        header = signed_request.sign_request(key, "POST", path, b"{}", ts)
        r = await api.client.post(path, content=body(), headers={"Authorization": header})
        assert r.status_code == 401, r.text
        assert len(pulled) <= 2  # about the normal 64 KiB limit, never the 4 MiB
    pulled.clear()
    r = await api.client.post(path, content=body(), headers={"Content-Length": str(64 * 65_536)})
    assert r.status_code == 401 and pulled == []  # declared: refused before any byte


async def test_a_json_object_with_a_key_twice_is_refused(api):
    member, shop = await api.activate(), await api.enroll()
    qr = member.pay(100, 1, 100, api.now - 5)
    scans = json.dumps([{"qr": qr, "scanned_at": api.now}])
    raw = f'{{"batch_id": "dup", "batch_id": "other", "scans": {scans}}}'.encode()
    r = await api.signed("POST", "/api/v1/merchant/batches", shop.key, raw=raw)
    assert r.status_code == 400 and r.json()["error"] == "INVALID_JSON"
    r = await api.client.post(
        "/api/v1/wallet/activate", content=b'{"code": "A", "code": "B", "public_key": "x"}'
    )
    assert r.status_code == 400 and r.json()["error"] == "INVALID_JSON"
    assert (await api.counts())["scans"] == 0


async def test_a_refusal_of_a_token_another_shop_sent_is_listed_with_its_batch(api):
    member = await api.activate()
    right = await api.enroll(await api.add_shop("Right"))
    wrong = await api.enroll(await api.add_shop("Wrong"))
    qr = member.pay(400, 1, 400, api.now - 5, aud=right.merchant_id)
    assert (await api.upload(right, [scan(qr, api.now - 1)])).json()["received"] == 1
    r = await api.upload(wrong, [scan(qr, api.now - 1)], batch_id="late")
    assert r.json() == {"batch_id": "late", "received": 0, "duplicates": 0, "rejected": 1}
    async with api.ctx.storage.read() as q:
        [row] = await q.console.batch_scans(wrong.merchant_id, "late")
    assert (row["status"], row["code"]) == ("rejected", "WRONG_MERCHANT")


async def test_a_token_twice_in_one_batch_counts_its_accepted_scan(api):
    member, shop = await api.activate(), await api.enroll()
    qr = member.pay(300, 1, 300, api.now - 5)
    r = await api.upload(shop, [scan(qr, api.now + 3600), scan(qr, api.now - 1)], batch_id="two")
    assert r.json() == {"batch_id": "two", "received": 1, "duplicates": 1, "rejected": 0}
    assert (await run(api)).total_cents == 300

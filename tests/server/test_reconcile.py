"""Nightly reconciliation on SQLite and PostgreSQL, with real tokens uploaded through the API."""

from __future__ import annotations

import asyncio

import pytest

from keys import tokens
from keys.trust_list import open_trust_list
from server.db.seam import open_database
from server.ledger import findings
from server.ledger.detection import CONTRADICTION, FORK, OVER_ALLOWANCE, TOKEN_COPY
from server.storage.core import Storage

from .reconcile_helpers import ledger, paid_twice, payout_total, run, scan, upload_ok

pytestmark = pytest.mark.anyio


async def trust_list_now(api):
    async with api.ctx.storage.read() as q:
        body = bytes((await q.latest_trust_list())["body"])
    return open_trust_list(body, bytes(api.keys.root.verify_key))


async def test_honest_payments_are_paid_once_with_one_payout_per_shop(api):
    shops = [await api.enroll(await api.add_shop(f"Shop {i}")) for i in range(3)]
    member = await api.activate()
    now = api.now
    for i, shop in enumerate(shops, start=1):
        await upload_ok(
            api,
            shop,
            [scan(member.pay(1000 * i, i, sum(range(1, i + 1)) * 1000, now - 9), now - 5)],
        )
    first = await run(api)
    assert first.settlement_id == 1 and first.payments == 3 and first.total_cents == 6000
    assert sorted(p["amount_cents"] for p in first.payouts) == [1000, 2000, 3000]
    assert first.double_spends == [] and first.blocked == []
    again = await run(api)
    assert again.settlement_id is None and again.payments == 0
    assert len(await ledger(api)) == 3 and await payout_total(api) == 6000


async def test_a_scan_of_this_very_second_is_settled_when_today_is_included(api):
    shop = await api.enroll(await api.add_shop("Shop now"))
    member = await api.activate()
    now = api.now
    answer = await upload_ok(api, shop, [scan(member.pay(700, 1, 700, now), now)])
    assert answer["received"] == 1, answer
    summary = await run(api, until=now + 1)  # "today included", as the console asks
    assert summary.payments == 1 and summary.total_cents == 700


async def test_forks_at_three_shops_are_one_finding_with_the_tokens_and_the_member_is_blocked(
    api,
):
    shops = [await api.enroll(await api.add_shop(f"Shop {i}")) for i in range(3)]
    member = await api.activate()
    now = api.now
    qrs = [member.pay(700 + i, 1, 700 + i, now - 30) for i in range(3)]
    for i, shop in enumerate(shops):
        await upload_ok(api, shop, [scan(qrs[i], now - 20 + i)])
    summary = await run(api)
    kinds = sorted(f["kind"] for f in summary.double_spends)
    assert kinds == [FORK, OVER_ALLOWANCE] if api.cfg.allowance_cents < 2103 else [FORK]
    fork = next(f for f in summary.double_spends if f["kind"] == FORK)
    assert sorted(fork["merchants"]) == sorted(s.merchant_id for s in shops)
    # Default policy: each shop accepted a valid token in good faith and is paid.
    assert summary.payments == 3 and summary.total_cents == 700 + 701 + 702
    assert {
        "kind": "member",
        "id": member.member_id,
        "finding_id": fork["finding_id"],
    } in summary.blocked
    tl = await trust_list_now(api)
    assert tl.seq == summary.trust_list_seq
    assert bytes.fromhex(member.member_id) in tl.revoked_members
    proof = await findings.export_finding(api.ctx.storage, fork["finding_id"])
    assert sorted(e.qr for e in proof.evidence) == sorted(qrs)
    assert {tokens.decode_token(tokens.from_qr(e.qr)).seq for e in proof.evidence} == {1}
    # Listed once: the next night finds nothing new.
    later = await run(api)
    assert later.double_spends == [] and later.findings_new == 0
    assert len(await findings.list_findings(api.ctx.storage)) == 1


async def test_a_late_fork_joins_the_existing_finding_and_is_paid_once(api):
    a, b, c = [await api.enroll(await api.add_shop(f"S{i}")) for i in range(3)]
    member = await api.activate()
    now = api.now
    await upload_ok(api, a, [scan(member.pay(100, 1, 100, now - 30), now - 25)])
    await upload_ok(api, b, [scan(member.pay(200, 1, 200, now - 30), now - 24)])
    first = await run(api)
    api.clock.advance(60)
    await upload_ok(api, c, [scan(member.pay(300, 1, 300, now - 30), now - 23)])
    second = await run(api)
    assert first.findings_new == 1 and second.findings_new == 0 and second.findings_updated == 1
    (fork,) = await findings.list_findings(api.ctx.storage)
    assert len((await findings.export_finding(api.ctx.storage, fork.finding_id)).evidence) == 3
    assert second.payments == 1 and second.total_cents == 300
    assert not await paid_twice(api)


async def test_a_cumulative_total_that_ignores_a_payment_seen_elsewhere_is_a_contradiction(api):
    a, b = await api.enroll(await api.add_shop("A")), await api.enroll(await api.add_shop("B"))
    member = await api.activate()
    now = api.now
    honest = member.pay(4000, 1, 4000, now - 60)
    ignores = member.pay(500, 2, 500, now - 50)  # claims nothing was spent before seq 2
    await upload_ok(api, a, [scan(honest, now - 55)])
    await upload_ok(api, b, [scan(ignores, now - 45)])
    summary = await run(api)
    (finding,) = summary.double_spends
    assert finding["kind"] == CONTRADICTION and finding["amount_cents"] == 500
    proof = await findings.export_finding(api.ctx.storage, finding["finding_id"])
    assert sorted(e.qr for e in proof.evidence) == sorted([honest, ignores])


async def test_a_payment_the_member_cancelled_that_a_shop_took_is_told_from_a_forged_total(api):
    a, b = await api.enroll(await api.add_shop("A")), await api.enroll(await api.add_shop("B"))
    member, forger = await api.activate(), await api.activate()
    now = api.now
    first = member.pay(1000, 1, 1000, now - 50)
    cancelled = member.pay(500, 2, 1500, now - 45)  # the wallet cancelled it: cum back to 1000
    after = member.pay(700, 3, 1700, now - 40)  # SPEC §3: leaves out exactly seq 2
    await upload_ok(api, a, [scan(first, now - 49), scan(cancelled, now - 44)])
    await upload_ok(api, b, [scan(after, now - 39)])
    forged = [forger.pay(1000, 1, 1000, now - 50), forger.pay(700, 2, 900, now - 40)]
    await upload_ok(api, a, [scan(forged[0], now - 49)])
    await upload_ok(api, b, [scan(forged[1], now - 39)])
    summary = await run(api)
    by_member = {f["member_id"]: f for f in summary.double_spends}
    assert {f["kind"] for f in by_member.values()} == {CONTRADICTION}
    told = by_member[member.member_id]
    assert told["amount_cents"] == 500 and told["merchants"] == sorted(
        [a.merchant_id, b.merchant_id]
    )
    assert "leaves out exactly seq 2: a payment the member cancelled" in told["summary"]
    assert "cancelled" not in by_member[forger.member_id]["summary"]


async def test_cloned_wallet_chains_are_forks_and_over_allowance_and_first_policy_withholds(api):
    a, b = await api.enroll(await api.add_shop("A")), await api.enroll(await api.add_shop("B"))
    member = await api.activate()
    now = api.now
    step = api.cfg.allowance_cents // 3
    chain = lambda t0: [member.pay(step, s, step * s, t0) for s in (1, 2, 3)]  # noqa: E731
    first = await upload_ok(api, a, [scan(q, now - 50 + i) for i, q in enumerate(chain(now - 55))])
    clone = await upload_ok(api, b, [scan(q, now - 30 + i) for i, q in enumerate(chain(now - 35))])
    assert first["received"] == clone["received"] == 3
    first_only = api.cfg.with_(settle_conflicts="first")
    summary = await run(api, config=first_only)
    kinds = sorted(f["kind"] for f in summary.double_spends)
    assert kinds == [FORK, FORK, FORK, OVER_ALLOWANCE]
    over = next(f for f in summary.double_spends if f["kind"] == OVER_ALLOWANCE)
    assert over["amount_cents"] == 3 * step
    # The first-scanned chain (shop A) is paid; the clone's payments are withheld.
    by_shop = {p["merchant_id"]: p for p in summary.payouts}
    assert by_shop[a.merchant_id]["amount_cents"] == 3 * step
    assert by_shop[b.merchant_id]["amount_cents"] == 0 and by_shop[b.merchant_id]["withheld"] == 3
    # The caisse releases one fork: its withheld receipt is paid next time, once.
    fork = next(f for f in summary.double_spends if f["kind"] == FORK)
    await findings.decide(
        api.ctx.storage, fork["finding_id"], "release", "shop in good faith", api.now
    )
    released = await run(api, config=first_only)
    assert released.payments == 1 and released.total_cents == step
    assert (await run(api, config=first_only)).payments == 0
    assert not await paid_twice(api)


@pytest.mark.parametrize("policy", ["all", "first"])
async def test_a_copied_payment_qr_is_paid_once_to_its_first_upload_and_blocks_nobody(api, policy):
    """A copy is not signed evidence against the member: anyone who saw the QR has it."""
    config = api.cfg.with_(settle_conflicts=policy)
    a, b = await api.enroll(await api.add_shop("A")), await api.enroll(await api.add_shop("B"))
    member = await api.activate()
    now = api.now
    qr = member.pay(1200, 1, 1200, now - 30)
    await upload_ok(api, a, [scan(qr, now - 10)])
    first = await run(api, config=config)
    assert [(p["merchant_id"], p["amount_cents"]) for p in first.payouts] == [(a.merchant_id, 1200)]
    answer = await upload_ok(api, b, [scan(qr, now - 20)])  # claims an earlier scan
    assert answer["duplicates"] == 1  # the API contract is unchanged
    second = await run(api, config=config)
    assert [f["kind"] for f in second.double_spends] == [TOKEN_COPY]
    assert second.blocked == [] and second.payments == 0 and second.withheld_cents == 1200
    async with api.ctx.storage.read() as q:
        assert (await q.member(member.member_id))["status"] == "active"
    [finding] = await findings.list_findings(api.ctx.storage)
    assert finding.blocked is None
    assert a.merchant_id in finding.summary and b.merchant_id in finding.summary
    proof = await findings.export_finding(api.ctx.storage, finding.finding_id)
    assert [(e.merchant_id, e.scanned_at) for e in proof.evidence] == [
        (b.merchant_id, now - 20),
        (a.merchant_id, now - 10),
    ]
    # Released by hand, the copy is paid, once.
    await findings.decide(api.ctx.storage, finding.finding_id, "release", "seen it", now)
    released = await run(api, config=config)
    assert [(p["merchant_id"], p["amount_cents"]) for p in released.payouts] == [
        (b.merchant_id, 1200)
    ]
    assert (await run(api, config=config)).payments == 0
    assert not await paid_twice(api)


async def test_a_copy_uploaded_with_its_original_before_settling_is_withheld(api):
    a, b = await api.enroll(await api.add_shop("A")), await api.enroll(await api.add_shop("B"))
    member = await api.activate()
    now = api.now
    qr = member.pay(900, 1, 900, now - 30)
    await upload_ok(api, a, [scan(qr, now - 10)])
    await upload_ok(api, b, [scan(qr, now - 5)])
    summary = await run(api)
    assert [(p["merchant_id"], p["amount_cents"], p["withheld"]) for p in summary.payouts] == [
        (a.merchant_id, 900, 0),
        (b.merchant_id, 0, 1),
    ]
    assert summary.blocked == [] and not await paid_twice(api)


async def test_a_fork_still_blocks_the_member(api):
    a, b = await api.enroll(await api.add_shop("A")), await api.enroll(await api.add_shop("B"))
    member = await api.activate()
    now = api.now
    await upload_ok(api, a, [scan(member.pay(500, 1, 500, now - 30), now - 20)])
    await upload_ok(api, b, [scan(member.pay(700, 1, 700, now - 30), now - 15)])
    summary = await run(api)
    assert [f["kind"] for f in summary.double_spends] == [FORK]
    assert [x["kind"] for x in summary.blocked] == ["member"]


async def test_a_batch_retried_after_a_crash_is_paid_once(api):
    shop = await api.enroll()
    member = await api.activate()
    now = api.now
    scans = [scan(member.pay(100, i, 100 * i, now - 30), now - 20) for i in (1, 2, 3)]
    await upload_ok(api, shop, scans, batch_id="till-1")
    await upload_ok(api, shop, scans, batch_id="till-1")  # no answer seen: same batch again
    await upload_ok(
        api, shop, [*scans, scan(member.pay(100, 4, 400, now - 30), now - 19)], batch_id="till-1b"
    )
    summary = await run(api)
    assert summary.payments == 4 and summary.total_cents == 400
    assert (await run(api)).payments == 0


async def test_a_reconcile_that_crashes_midway_leaves_nothing_and_the_rerun_pays_once(api):
    shop = await api.enroll()
    members = [await api.activate() for _ in range(3)]
    now = api.now
    await upload_ok(api, shop, [scan(m.pay(250, 1, 250, now - 30), now - 20) for m in members])

    def crash(done, total):
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        await run(api, progress=crash)
    assert await ledger(api) == []
    async with api.ctx.storage.read() as q:
        assert await q.conn.fetchval("SELECT COUNT(*) FROM settlements") == 0
    summary = await run(api)
    assert summary.payments == 3 and summary.settlement_id == 1


async def test_two_reconciles_at_once_never_pay_a_payment_twice(api, backend, tmp_path):
    shops = [await api.enroll(await api.add_shop(f"S{i}")) for i in range(2)]
    members = [await api.activate() for _ in range(4)]
    now = api.now
    for i, m in enumerate(members):
        shop = shops[i % 2]
        await upload_ok(
            api, shop, [scan(m.pay(100, s, 100 * s, now - 30), now - 20) for s in (1, 2)]
        )
        other = shops[(i + 1) % 2]
        await upload_ok(api, other, [scan(m.pay(50, 2, 250, now - 30), now - 15)])  # a fork
    second = Storage(open_database(api.cfg.database, schema=backend.schema))
    await second.open()
    try:
        results = await asyncio.gather(run(api), run(api, storage=second), run(api))
    finally:
        await second.close()
    paid = sorted(r.payments for r in results)
    assert paid == [0, 0, 12]
    assert sum(r.findings_new for r in results) == 4
    assert not await paid_twice(api)
    assert await payout_total(api) == 4 * (200 + 50)
    assert len(await findings.list_findings(api.ctx.storage)) == 4

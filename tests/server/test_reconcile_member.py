"""A member's month over all their credentials (a re-activated phone), SQLite and PostgreSQL.

The old phone keeps paying offline after the member re-activates on a new one;
each credential stays within its own signed allowance, only the month's sum
across both shows the overspending. Real tokens, uploaded through the API.
"""

from __future__ import annotations

import pytest
from nacl.signing import SigningKey

from keys import tokens
from keys.trust_list import open_trust_list
from server.caisse import members
from server.ledger import findings
from server.ledger.detection import (
    MEMBER_OVER_ALLOWANCE,
    PeriodCredential,
    Receipt,
    detect_member_period,
)

from .reconcile_helpers import paid_twice, run, scan, upload_ok

pytestmark = pytest.mark.anyio


async def trust_list_now(api):
    async with api.ctx.storage.read() as q:
        body = bytes((await q.latest_trust_list())["body"])
    return open_trust_list(body, bytes(api.keys.root.verify_key))


async def _reactivate(api, member):
    """The member's new phone: a new code, a new key, a credential for what is left."""
    old = (member.key, member.credential)
    async with api.ctx.storage.transaction() as q:
        fresh = await members.new_activation_code(q, api.cfg, member.member_id, api.now)
    member.code, member.key = fresh.activation_code, SigningKey.generate()
    await api.activate(member)
    return old


def _old_pay(old, amount, seq, cum, iat):
    key, credential = old
    return tokens.to_qr(
        tokens.encode_payment(
            credential_cose=credential,
            amount_cents=amount,
            seq=seq,
            cumulative_cents=cum,
            iat=iat,
            member_key=key,
        )
    )


async def test_an_old_phones_late_payments_over_the_months_allowance_are_one_finding(api):
    a, b, c = [await api.enroll(await api.add_shop(f"Shop {i}")) for i in range(3)]
    member = await api.activate()
    allowance = api.cfg.allowance_cents
    t0 = api.now
    first = member.pay(allowance - 5000, 1, allowance - 5000, t0)
    await upload_ok(api, a, [scan(first, t0 + 1)])
    # Offline at shop B, not uploaded yet: the old phone's second payment.
    offline = member.pay(4000, 2, allowance - 1000, t0 + 10)
    api.clock.advance(100)
    old = await _reactivate(api, member)
    left = tokens.decode_token(member.credential).allowance_cents
    assert left == 5000  # the month's allowance minus what had been uploaded
    t1 = api.now
    new_phone = member.pay(5000, 1, 5000, t1)
    await upload_ok(api, c, [scan(new_phone, t1 + 1)])
    late = await upload_ok(api, b, [scan(offline, t0 + 11)])
    assert late["received"] == 1  # valid when scanned: the old credential was not yet revoked
    api.clock.advance(60)
    summary = await run(api)
    (finding,) = summary.double_spends
    assert finding["kind"] == MEMBER_OVER_ALLOWANCE
    assert finding["amount_cents"] == 4000 and finding["member_id"] == member.member_id
    assert sorted(finding["merchants"]) == sorted(s.merchant_id for s in (a, b, c))
    assert {"kind": "member", "id": member.member_id, "finding_id": finding["finding_id"]} in (
        summary.blocked
    )
    # Default policy: every shop accepted a valid token in good faith and is paid.
    assert summary.payments == 3 and summary.total_cents == allowance + 4000
    proof = await findings.export_finding(api.ctx.storage, finding["finding_id"])
    assert sorted(e.qr for e in proof.evidence) == sorted([first, offline, new_phone])
    # Recorded once: nothing new the next night; a later old-phone payment joins it.
    assert (await run(api)).findings_new == 0
    later = _old_pay(old, 500, 3, allowance - 500, t0 + 20)
    await upload_ok(api, a, [scan(later, t0 + 21)])
    api.clock.advance(60)
    again = await run(api)
    assert again.findings_new == 0 and again.findings_updated == 1
    (listed,) = await findings.list_findings(api.ctx.storage, kind=MEMBER_OVER_ALLOWANCE)
    assert listed.amount_cents == 4500 and listed.finding_id == finding["finding_id"]
    assert len(await findings.list_findings(api.ctx.storage)) == 1
    assert not await paid_twice(api)


async def test_an_honest_reactivation_within_the_allowance_is_no_finding(api):
    shop = await api.enroll()
    member = await api.activate()
    t0 = api.now
    await upload_ok(api, shop, [scan(member.pay(3000, 1, 3000, t0), t0 + 1)])
    api.clock.advance(100)
    await _reactivate(api, member)
    t1 = api.now
    spend = api.cfg.allowance_cents - 3000
    await upload_ok(api, shop, [scan(member.pay(spend, 1, spend, t1), t1 + 1)])
    api.clock.advance(60)
    summary = await run(api)
    assert summary.double_spends == [] and summary.blocked == []
    assert summary.total_cents == api.cfg.allowance_cents


async def test_the_credential_policy_revokes_only_the_credential_in_use(api):
    a, b = await api.enroll(await api.add_shop("A")), await api.enroll(await api.add_shop("B"))
    member = await api.activate()
    allowance = api.cfg.allowance_cents
    t0 = api.now
    await upload_ok(api, a, [scan(member.pay(allowance - 2000, 1, allowance - 2000, t0), t0 + 1)])
    offline = member.pay(2000, 2, allowance, t0 + 10)
    api.clock.advance(100)
    await _reactivate(api, member)
    t1 = api.now
    await upload_ok(api, a, [scan(member.pay(2000, 1, 2000, t1), t1 + 1)])
    await upload_ok(api, b, [scan(offline, t0 + 11)])
    api.clock.advance(60)
    summary = await run(api, config=api.cfg.with_(block_on_fraud="credential"))
    (finding,) = summary.double_spends
    new_cti = tokens.decode_token(member.credential).cti
    assert finding["kind"] == MEMBER_OVER_ALLOWANCE and finding["cti"] == new_cti.hex()
    assert [(x["kind"], x["id"]) for x in summary.blocked] == [("credential", new_cti.hex())]
    trust_list = await trust_list_now(api)
    assert new_cti in trust_list.revoked_credentials
    assert bytes.fromhex(member.member_id) not in trust_list.revoked_members


def _receipt(cti: bytes, seq: int, amount: int, cum: int, at: int) -> Receipt:
    return Receipt(
        scan_key=bytes([seq]) * 32,
        token_id=bytes([seq + 100]) * 32,
        kind="payment",
        cti=cti,
        member_sub=b"\x01" * 8,
        seq=seq,
        amount_cents=amount,
        cumulative_cents=cum,
        merchant_id="shop-a",
        scanned_at=at,
        received_at=at + 1,
    )


def test_one_credential_alone_is_never_a_member_finding():
    """Above its own allowance, a single credential is ``over_allowance`` already."""
    sub, cti, unused_cti = b"\x01" * 8, b"\x02" * 16, b"\x03" * 16
    spent = [_receipt(cti, 1, 60, 60, 100), _receipt(cti, 2, 70, 130, 200)]  # 130 of 100
    lone = PeriodCredential(cti, 100, spent)
    assert detect_member_period(sub, "2026-11", [lone]) is None
    # A second credential issued for the month but never spent changes nothing.
    unused = PeriodCredential(unused_cti, 40, [])
    assert detect_member_period(sub, "2026-11", [lone, unused]) is None
    # The same payments spread over both credentials are a member finding.
    spread = [PeriodCredential(cti, 100, spent[:1]), PeriodCredential(unused_cti, 40, spent[1:])]
    found = detect_member_period(sub, "2026-11", spread)
    assert found is not None and found.kind == MEMBER_OVER_ALLOWANCE
    assert found.amount_cents == 30

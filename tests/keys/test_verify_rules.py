"""Verifier behaviour the vectors do not pin on their own."""

from __future__ import annotations

from keys import tokens
from keys.sample import SampleCaisse
from keys.trust_list import TrustList
from keys.verify import MemoryJournal, ResultCode, VerifyResult, verify_qr

NOW = 1_800_000_000
MERCHANT = "m-rules"


def _run(trust_list: TrustList, *qrs: str, now: int = NOW) -> list[VerifyResult]:
    journal, results = MemoryJournal(), []
    for qr in qrs:
        result = verify_qr(
            qr, trust_list=trust_list, merchant_id=MERCHANT, now=now, journal=journal
        )
        journal.record(result)
        results.append(result)
    return results


def test_a_key_of_one_caisse_cannot_sign_for_another() -> None:
    ours, theirs = SampleCaisse(now=NOW), SampleCaisse(now=NOW, caisse_id="be-other")
    theirs.issuer_key = ours.issuer_key  # same key, but the list names it for "be-test-caisse"
    [result] = _run(ours.trust_list(), theirs.member().pay(100, iat=NOW))
    assert result.code is ResultCode.UNKNOWN_KEY


def test_a_voucher_for_a_blocked_member_is_revoked() -> None:
    caisse = SampleCaisse(now=NOW)
    sub = b"\x07" * 8
    [result] = _run(caisse.trust_list(revoked_members=frozenset({sub})), caisse.voucher(sub=sub))
    assert result.code is ResultCode.REVOKED


def test_honest_payments_in_any_order_are_accepted_and_a_fork_is_not() -> None:
    caisse = SampleCaisse(now=NOW)
    member = caisse.member()
    p1, p2, p3 = (member.pay(a, iat=NOW) for a in (100, 200, 300))
    assert [r.code for r in _run(caisse.trust_list(), p3, p1, p2)] == [ResultCode.OK] * 3
    member.seq, member.cumulative_cents = 1, 100  # a clone that forgets payment 2
    fork = member.pay(250, iat=NOW)  # seq 2 again
    codes = [r.code for r in _run(caisse.trust_list(), p1, p2, fork)]
    assert codes == [ResultCode.OK, ResultCode.OK, ResultCode.DOUBLE_SPEND]


def test_a_voucher_cannot_be_redeemed_twice() -> None:
    caisse = SampleCaisse(now=NOW)
    voucher = caisse.voucher(700)
    first, again = _run(caisse.trust_list(), voucher, "  " + voucher + "\r\n")
    assert (first.code, first.amount_cents) == (ResultCode.OK, 700)
    assert again.code is ResultCode.REPLAY


def test_a_forged_token_reports_no_decoded_fields() -> None:
    caisse, forger = SampleCaisse(now=NOW), SampleCaisse(now=NOW)
    forger.issuer_key = caisse.issuer_key
    forged_cose = bytearray(tokens.from_qr(caisse.member().pay(100, iat=NOW)))
    forged_cose[-1] ^= 1
    [result] = _run(caisse.trust_list(), tokens.to_qr(bytes(forged_cose)))
    assert result.code is ResultCode.BAD_SIGNATURE
    assert result.token is None and set(result.to_json()) == {"code", "message"}


def test_an_ok_payment_reports_what_the_till_needs_and_no_personal_data() -> None:
    caisse = SampleCaisse(now=NOW)
    member = caisse.member(allowance_cents=15000)
    [result] = _run(caisse.trust_list(), member.pay(2340, iat=NOW, aud=MERCHANT))
    doc = result.to_json()
    assert doc["code"] == "OK" and doc["amount_cents"] == 2340
    assert (doc["seq"], doc["cumulative_cents"], doc["allowance_cents"]) == (1, 2340, 15000)
    assert doc["member"] == member.sub.hex()  # the random pseudonym, nothing else


def test_text_longer_than_any_qr_is_malformed() -> None:
    caisse = SampleCaisse(now=NOW)
    [result] = _run(caisse.trust_list(), "SSA1:" + "0" * 5000)
    assert result.code is ResultCode.MALFORMED


def test_the_refusals_of_a_refused_amount_hide_it() -> None:
    caisse = SampleCaisse(now=NOW)
    member = caisse.member(allowance_cents=500)
    [result] = _run(caisse.trust_list(), member.pay(600, iat=NOW))
    assert result.code is ResultCode.OVER_ALLOWANCE
    assert "amount_cents" not in result.to_json()


def test_a_payment_embedding_a_voucher_says_what_was_embedded() -> None:
    caisse = SampleCaisse(now=NOW)
    member = caisse.member()
    voucher_cose = tokens.from_qr(caisse.voucher(500))
    qr = tokens.to_qr(
        tokens.encode_payment(
            credential_cose=voucher_cose,
            amount_cents=100,
            seq=1,
            cumulative_cents=100,
            iat=NOW,
            member_key=member.key,
        )
    )
    [result] = _run(caisse.trust_list(), qr)
    assert result.code is ResultCode.WRONG_TYPE
    assert result.message == "the embedded object is a voucher, not a credential"


def _payment_with(member, **fields: int) -> str:
    values = {"amount_cents": 1, "seq": 1, "cumulative_cents": 1, "iat": NOW, **fields}
    return tokens.to_qr(
        tokens.encode_payment(credential_cose=member.credential, member_key=member.key, **values)
    )


def test_every_uint_beyond_a_signed_64_bit_integer_is_malformed() -> None:
    """A project rule (docs/protocol.md): databases and journals store int64."""
    caisse = SampleCaisse(now=NOW)
    member = caisse.member()
    for name in ("amount_cents", "seq", "cumulative_cents", "iat"):
        [result] = _run(caisse.trust_list(), _payment_with(member, **{name: 2**63}))
        assert result.code is ResultCode.MALFORMED, name
        assert "64-bit" in result.message and result.token is None
    # The largest allowed value decodes; it is then refused for what it means.
    [result] = _run(caisse.trust_list(), _payment_with(member, seq=2**63 - 1))
    assert result.code is ResultCode.OK and result.token.seq == 2**63 - 1
    [result] = _run(caisse.trust_list(), _payment_with(member, iat=2**63 - 1))
    assert result.code is ResultCode.STALE


def test_a_credential_or_voucher_uint_beyond_64_bits_is_malformed() -> None:
    caisse = SampleCaisse(now=NOW)
    member = caisse.member()
    cred = tokens.encode_credential(
        iss=caisse.caisse_id,
        sub=member.sub,
        cti=b"\x01" * 8,
        nbf=NOW - 60,
        exp=2**64 - 1,
        allowance_cents=15_000,
        member_public_key=bytes(member.key.verify_key),
        issuer_key=caisse.issuer_key,
    )
    member.credential = cred
    [result] = _run(caisse.trust_list(), _payment_with(member))
    assert result.code is ResultCode.MALFORMED
    voucher = tokens.encode_voucher(
        iss=caisse.caisse_id,
        cti=b"\x02" * 8,
        amount_cents=2**63,
        nbf=NOW - 60,
        exp=NOW + 60,
        issuer_key=caisse.issuer_key,
    )
    [result] = _run(caisse.trust_list(), tokens.to_qr(voucher))
    assert result.code is ResultCode.MALFORMED

"""SPEC §6 detection as pure functions: receipts built by hand, no HTTP, no database.

One test per rule in the SPEC's order, then the checks beyond the SPEC, then the
settlement policy (``outcomes``), then hypothesis properties. Finding ids are
stored in every caisse's database: the ids below are pinned to the byte.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from server.ledger import detection
from server.ledger.detection import (
    CONTRADICTION,
    FORK,
    MEMBER_OVER_ALLOWANCE,
    OVER_ALLOWANCE,
    PAID,
    SPENT_AFTER_REVOCATION,
    TOKEN_COPY,
    VOUCHER_REUSE,
    WITHHELD,
    PeriodCredential,
    Receipt,
    detect,
    detect_member_period,
    outcomes,
)

CTI = bytes.fromhex("c7" * 16)
VOUCHER = bytes.fromhex("7e" * 16)
SUB = bytes.fromhex("5b" * 8)
LATER = 10**6  # a cut-off after every scan below


def token(n: int) -> bytes:
    """The scan key of token number ``n`` (what a shop's receipt names the token by)."""
    return hashlib.sha256(b"token %d" % n).digest()


def pay(
    n: int,
    seq: int,
    amount: int,
    cum: int,
    shop: str = "shop-a",
    at: int = 100,
    *,
    cti: bytes = CTI,
    **settled: bool,
) -> Receipt:
    """Shop ``shop``'s receipt of payment token ``n`` (seq, amount, cumulative total)."""
    return Receipt(
        scan_key=token(n),
        token_id=token(n)[::-1],
        kind="payment",
        cti=cti,
        member_sub=SUB,
        seq=seq,
        amount_cents=amount,
        cumulative_cents=cum,
        merchant_id=shop,
        scanned_at=at,
        received_at=at + 5,
        **settled,
    )


def copy(r: Receipt, shop: str, at: int) -> Receipt:
    """The same token accepted by another shop (sent after the first shop had sent it)."""
    return replace(r, merchant_id=shop, scanned_at=at, received_at=at + 5, is_copy=True)


def voucher(n: int, shop: str, at: int, amount: int = 2500) -> Receipt:
    return Receipt(
        scan_key=token(n),
        token_id=token(n)[::-1],
        kind="voucher",
        cti=VOUCHER,
        member_sub=None,
        seq=0,
        amount_cents=amount,
        cumulative_cents=0,
        merchant_id=shop,
        scanned_at=at,
        received_at=at + 5,
    )


def keys(*receipts: Receipt) -> list[tuple[bytes, str]]:
    return [r.key for r in receipts]


def honest(amounts: list[int], shops: list[str]) -> list[Receipt]:
    """Payments seq 1, 2, … whose totals add up, each at its shop, one minute apart."""
    out, cum = [], 0
    for i, (amount, shop) in enumerate(zip(amounts, shops, strict=True), start=1):
        cum += amount
        out.append(pay(i, i, amount, cum, shop, at=60 * i))
    return out


# -- SPEC §6, rule by rule ------------------------------------------------------------


def test_an_honest_sequence_across_shops_is_no_finding():
    receipts = honest([1000, 2000, 3000], ["shop-a", "shop-b", "shop-c"])
    assert detect(receipts, 6000) == []
    assert detect([], 6000) == []


def test_rule_1_two_payments_with_one_seq_are_a_fork():
    first = pay(1, 1, 1000, 1000)
    a, b = pay(2, 2, 400, 1400, "shop-a", at=200), pay(3, 2, 700, 1700, "shop-b", at=150)
    (fork,) = detect([first, a, b], None)
    assert fork.kind == FORK and fork.cti == CTI and fork.member_sub == SUB
    assert fork.amount_cents == 400  # all but the largest of the two
    assert fork.summary == "2 different payments with seq 2"
    assert fork.receipts == keys(b, a)  # in scan order
    assert fork.finding_id == detection.fork_id(CTI, 2) == "e36d56e14891311ba2e04692"


def test_a_fork_lists_every_shops_receipt_of_each_token():
    a = pay(1, 1, 500, 500, "shop-a", at=100)
    b = pay(2, 1, 300, 300, "shop-b", at=110)
    a_again = copy(a, "shop-c", at=120)
    forks = [f for f in detect([a, b, a_again], None) if f.kind == FORK]
    assert [f.receipts for f in forks] == [keys(a, a_again, b)]
    assert forks[0].amount_cents == 300


def test_rule_2_a_total_that_ignores_an_earlier_payment_is_a_contradiction():
    one = pay(1, 1, 3000, 3000, "shop-a", at=100)
    ignores_it = pay(3, 2, 2000, 2000, "shop-b", at=200)  # counts 0 spent before seq 2
    (found,) = detect([one, ignores_it], None)
    assert found.kind == CONTRADICTION
    assert found.amount_cents == 2000  # what its total left out, at most its own amount
    assert found.summary == (  # seq 2 leaves out exactly seq 1: what a cancelled seq 1 looks like
        "payment seq 2 counts 0 cents spent before it, but seq 1 already had 3000; it leaves "
        "out exactly seq 1: a payment the member cancelled, accepted by a shop anyway"
    )
    assert found.receipts == keys(ignores_it, one)  # the payment, then what it ignores
    assert found.finding_id == detection.contradiction_id(CTI, token(3))
    assert found.finding_id == "b9fdf745a941726d931cddc8"


def test_rule_2_a_cancelled_payment_a_shop_accepted_anyway_is_a_contradiction():
    """SPEC §6: the later payment's total skips exactly the cancelled seq."""
    one = pay(1, 1, 1000, 1000, "shop-a", at=100)
    cancelled = pay(2, 2, 500, 1500, "shop-b", at=110)  # the member cancelled it on the phone
    three = pay(3, 3, 700, 1700, "shop-c", at=120)  # 1000 spent before: seq 2 not counted
    (found,) = detect([one, cancelled, three], None)
    assert found.kind == CONTRADICTION and found.amount_cents == 500
    assert found.summary.endswith("a payment the member cancelled, accepted by a shop anyway")
    assert found.receipts == keys(three, cancelled)
    assert found.finding_id == detection.contradiction_id(CTI, three.scan_key)


def test_rule_2_an_honest_later_total_is_no_contradiction():
    one, two = pay(1, 1, 1000, 1000), pay(2, 2, 500, 1500, "shop-b", at=50)  # scanned first
    assert detect([two, one], 1500) == []


def test_rule_3_payments_above_the_allowance():
    a, b = pay(1, 1, 6000, 6000, "shop-a", at=100), pay(2, 1, 7000, 7000, "shop-b", at=90)
    found = detect([a, b], 10_000)
    assert [f.kind for f in found] == [FORK, OVER_ALLOWANCE]
    over = found[1]
    assert over.amount_cents == 3000
    assert over.summary == "payments total 13000 cents for an allowance of 10000"
    assert over.receipts == keys(b, a)
    assert over.finding_id == detection.over_allowance_id(CTI) == "fef2b238e1144e9bb6824b52"
    # Exactly the allowance is no finding; an unknown allowance is never checked.
    assert [f.kind for f in detect([a, b], 13_000)] == [FORK]
    assert [f.kind for f in detect([a, b], None)] == [FORK]


def test_rule_3_counts_each_token_once_a_copy_is_no_spending():
    a = pay(1, 1, 6000, 6000)
    found = detect([a, copy(a, "shop-b", at=200)], 10_000)
    assert [(f.kind, f.amount_cents) for f in found] == [(TOKEN_COPY, 6000)]


def test_rule_4_a_voucher_redeemed_twice():
    first, second, third = (
        voucher(1, "shop-b", 100),
        voucher(1, "shop-a", 200),
        voucher(1, "shop-b", 300),
    )
    (found,) = detect([third, first, second], None)
    assert found.kind == VOUCHER_REUSE and found.cti == VOUCHER and found.member_sub is None
    assert found.amount_cents == 5000  # every redemption after the first
    assert found.summary == "voucher redeemed 3 times (shop-a, shop-b)"
    assert found.receipts == keys(first, second, third)
    assert found.finding_id == detection.voucher_reuse_id(VOUCHER) == "85f2b83a4d3aea8d1a9811f9"
    assert detect([first], None) == []


# -- beyond the SPEC --------------------------------------------------------------------


def test_beyond_the_spec_one_token_accepted_by_two_shops_is_a_token_copy():
    a = pay(1, 1, 1500, 1500, "shop-a", at=100)
    b, c = copy(a, "shop-b", at=300), copy(a, "shop-c", at=50)  # c claims to be first
    (found,) = detect([a, b, c], 10_000)  # one token: no fork, whatever the shops
    assert found.kind == TOKEN_COPY and found.amount_cents == 3000
    assert found.summary == (
        "payment seq 1 (1500 cents) sent first by shop-a (scanned 100, received 105); "
        "the same QR from shop-c (scanned 50, received 55), shop-b (scanned 300, received 305)"
    )
    assert found.receipts == keys(a, c, b)  # in upload order: the paid one first
    assert found.finding_id == detection.token_copy_id(CTI, token(1)) == "5bc0c8373ce18e6512ad2628"


def test_beyond_the_spec_a_payment_honoured_under_an_older_list_is_reported():
    a = replace(pay(1, 1, 800, 800, "shop-a", at=100), revoked_by=7)
    (found,) = detect([a, pay(2, 2, 100, 900, "shop-b", at=200)], 10_000)
    assert found.kind == SPENT_AFTER_REVOCATION and found.amount_cents == 800
    assert found.receipts == keys(a) and "list 7 revoked it" in found.summary
    assert found.finding_id == detection.spent_after_revocation_id(CTI, token(1))
    assert found.kind not in detection.BLOCKS_MEMBER
    for policy in ("all", "first"):  # paid: the shop trusted its OK
        assert [o for _, o, _ in outcomes([a], 10_000, policy=policy, cutoff=LATER)] == [PAID]


def test_only_what_the_members_key_alone_could_sign_blocks_them():
    assert {FORK, CONTRADICTION, OVER_ALLOWANCE, MEMBER_OVER_ALLOWANCE} == detection.BLOCKS_MEMBER


def test_findings_come_in_rule_order_with_token_copies_first():
    """The first new finding about a member is the one that blocks them: the order is kept."""
    one = pay(1, 1, 3000, 3000, "shop-a", at=100)
    fork = pay(2, 1, 2000, 2000, "shop-b", at=110)
    skips = pay(3, 2, 1000, 1000, "shop-c", at=120)
    receipts = [one, copy(one, "shop-d", at=130), fork, skips]
    kinds = [f.kind for f in detect(receipts, 5000)]
    assert kinds == [TOKEN_COPY, FORK, CONTRADICTION, OVER_ALLOWANCE]


def _credential(n: int, allowance: int, *receipts: Receipt) -> PeriodCredential:
    return PeriodCredential(bytes([n]) * 16, allowance, list(receipts))


def test_beyond_the_spec_a_members_month_over_all_their_credentials():
    old, new = bytes([1]) * 16, bytes([2]) * 16
    old_phone = [pay(1, 1, 6000, 6000, at=100, cti=old), pay(2, 2, 3000, 9000, at=150, cti=old)]
    new_phone = [pay(3, 1, 4000, 4000, "shop-b", at=120, cti=new)]
    credentials = [_credential(1, 10_000, *old_phone), _credential(2, 4000, *new_phone)]
    found = detect_member_period(SUB, "2026-11", credentials)
    assert found is not None and found.kind == MEMBER_OVER_ALLOWANCE
    assert found.cti == new and found.member_sub == SUB  # the credential still in use
    assert found.amount_cents == 3000
    assert found.summary == (
        "payments total 13000 cents over 2 credentials of 2026-11 for a monthly allowance of 10000"
    )
    assert found.receipts == keys(old_phone[0], new_phone[0], old_phone[1])
    assert found.finding_id == detection.member_over_allowance_id(SUB, "2026-11")
    assert found.finding_id == "309a7cbf1e70a9484e666440"
    # Identified by (member, month): a third credential later is the same finding.
    third = _credential(3, 1000, pay(4, 1, 500, 500, at=400, cti=bytes([3]) * 16))
    again = detect_member_period(SUB, "2026-11", [*credentials, third])
    assert again is not None and again.finding_id == found.finding_id
    assert again.cti == bytes([3]) * 16 and again.amount_cents == 3500


def test_a_members_month_within_the_allowance_or_on_one_credential_is_no_finding():
    over_alone = _credential(1, 1000, pay(1, 1, 1500, 1500))
    unspent = _credential(2, 1000)
    assert detect_member_period(SUB, "2026-11", [over_alone, unspent]) is None
    within = [_credential(1, 1000, pay(1, 1, 600, 600)), _credential(2, 400, pay(2, 1, 400, 400))]
    assert detect_member_period(SUB, "2026-11", within) is None


# -- settlement policy ------------------------------------------------------------------


def _decided(result: list[tuple[Receipt, str, str | None]]) -> list[tuple[str, str, str | None]]:
    return [(r.merchant_id, outcome, fid) for r, outcome, fid in result]


def test_policy_all_pays_every_unsettled_receipt_before_the_cutoff_in_scan_order():
    a = pay(1, 1, 1000, 1000, "shop-a", at=300)
    b = pay(2, 1, 900, 900, "shop-b", at=100)  # a fork of a
    settled = pay(3, 2, 100, 1100, "shop-c", at=50, settled=True, paid=True)
    late = pay(4, 3, 100, 1200, "shop-d", at=500)
    result = outcomes([a, b, settled, late], 1000, policy="all", cutoff=400)
    assert _decided(result) == [("shop-b", PAID, None), ("shop-a", PAID, None)]


def test_every_policy_pays_a_token_once_to_its_first_upload():
    one = pay(1, 1, 1000, 1000, "shop-a", at=100)
    earlier_copy = copy(one, "shop-b", at=50)  # scanned "before", sent after
    fid = detection.token_copy_id(CTI, one.scan_key)
    for policy in ("all", "first"):
        result = outcomes([earlier_copy, one], 1500, policy=policy, cutoff=LATER)
        assert _decided(result) == [("shop-b", WITHHELD, fid), ("shop-a", PAID, None)], policy
    paid = replace(one, settled=True, paid=True)
    for policy in ("all", "first"):
        result = outcomes([paid, copy(one, "shop-c", at=200)], 1500, policy=policy, cutoff=LATER)
        assert _decided(result) == [("shop-c", WITHHELD, fid)], policy
    first, again = voucher(1, "shop-a", 200), voucher(1, "shop-b", 100)
    again = replace(again, received_at=300)
    result = outcomes([first, again], None, policy="all", cutoff=LATER)
    assert _decided(result) == [
        ("shop-b", WITHHELD, detection.voucher_reuse_id(VOUCHER)),
        ("shop-a", PAID, None),
    ]


def test_policy_first_withholds_each_conflict_with_its_finding():
    one = pay(1, 1, 1000, 1000, "shop-a", at=100)
    cases = {
        TOKEN_COPY: (copy(one, "shop-b", at=200), detection.token_copy_id(CTI, one.scan_key)),
        FORK: (pay(2, 1, 500, 500, "shop-b", at=200), detection.fork_id(CTI, 1)),
        CONTRADICTION: (
            pay(3, 2, 500, 500, "shop-b", at=200),
            detection.contradiction_id(CTI, token(3)),
        ),
        OVER_ALLOWANCE: (pay(4, 2, 600, 1600, "shop-b", at=200), detection.over_allowance_id(CTI)),
    }
    for kind, (conflicting, fid) in cases.items():
        result = outcomes([conflicting, one], 1500, policy="first", cutoff=LATER)
        assert _decided(result) == [("shop-a", PAID, None), ("shop-b", WITHHELD, fid)], kind
        assert fid in {f.finding_id for f in detect([one, conflicting], 1500)}, kind


def test_policy_first_withholds_a_voucher_redeemed_again():
    first, again = voucher(1, "shop-a", 100), voucher(1, "shop-b", 200)
    result = outcomes([again, first], None, policy="first", cutoff=LATER)
    fid = detection.voucher_reuse_id(VOUCHER)
    assert _decided(result) == [("shop-a", PAID, None), ("shop-b", WITHHELD, fid)]


def test_policy_first_never_claws_back_a_receipt_paid_earlier():
    paid_before = pay(1, 1, 1000, 1000, "shop-a", at=300, settled=True, paid=True)
    fork = pay(2, 1, 800, 800, "shop-b", at=100)  # scanned first, uploaded after settling
    result = outcomes([paid_before, fork], None, policy="first", cutoff=LATER)
    assert _decided(result) == [("shop-b", PAID, None)]
    # Withheld before, it is no reason to withhold another: only paid receipts count.
    withheld_before = replace(paid_before, paid=False)
    later_fork = replace(fork, scanned_at=400, received_at=405)
    result = outcomes([withheld_before, later_fork], None, policy="first", cutoff=LATER)
    assert _decided(result) == [("shop-b", PAID, None)]
    # A receipt paid earlier still conflicts with one that comes after it.
    result = outcomes([paid_before, later_fork], None, policy="first", cutoff=LATER)
    assert _decided(result) == [("shop-b", WITHHELD, detection.fork_id(CTI, 1))]


def test_policy_first_stops_at_the_cutoff():
    receipts = honest([100, 200, 300], ["shop-a", "shop-b", "shop-c"])  # at 60, 120, 180
    result = outcomes(receipts, 600, policy="first", cutoff=180)
    assert _decided(result) == [("shop-a", PAID, None), ("shop-b", PAID, None)]


# -- properties -------------------------------------------------------------------------

SHOPS = st.sampled_from(["shop-a", "shop-b", "shop-c", "shop-d"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5000), SHOPS), min_size=1, max_size=12), st.data())
def test_an_honest_sequence_of_payments_is_never_a_finding(payments, data):
    amounts, shops = [a for a, _ in payments], [s for _, s in payments]
    receipts = data.draw(st.permutations(honest(amounts, shops)))
    allowance = sum(amounts) + data.draw(st.integers(0, 1000))
    assert detect(receipts, allowance) == []
    for policy in ("first", "all"):
        result = outcomes(receipts, allowance, policy=policy, cutoff=LATER)
        assert [outcome for _, outcome, _ in result] == [PAID] * len(receipts)


@st.composite
def receipts_of_one_credential(draw) -> list[Receipt]:
    """A few tokens (seq, amount, total), each accepted by one or more distinct shops."""
    out: list[Receipt] = []
    for n in range(draw(st.integers(1, 6))):
        amount = draw(st.integers(1, 3000))
        seq, cum = draw(st.integers(1, 4)), amount + draw(st.integers(0, 6000))
        shops = draw(st.lists(SHOPS, min_size=1, max_size=3, unique=True))
        first = pay(n, seq, amount, cum, shops[0], at=draw(st.integers(0, 50)))
        out.append(first)
        out.extend(copy(first, shop, draw(st.integers(0, 50))) for shop in shops[1:])
    return out


def _by_id(findings: list[detection.Finding]) -> dict[str, tuple]:
    return {f.finding_id: (f.kind, f.amount_cents, f.summary, sorted(f.receipts)) for f in findings}


@settings(max_examples=300, deadline=None)
@given(receipts_of_one_credential(), st.integers(1, 12_000), st.data())
def test_findings_do_not_depend_on_the_order_receipts_arrive_in(receipts, allowance, data):
    shuffled = data.draw(st.permutations(receipts))
    found = detect(receipts, allowance)
    assert _by_id(detect(shuffled, allowance)) == _by_id(found)
    assert len(_by_id(found)) == len(found)  # one id, one finding
    for policy in ("first", "all"):
        assert _decided(outcomes(shuffled, allowance, policy=policy, cutoff=LATER)) == _decided(
            outcomes(receipts, allowance, policy=policy, cutoff=LATER)
        )


@settings(max_examples=300, deadline=None)
@given(receipts_of_one_credential(), st.integers(1, 12_000))
def test_policy_first_pays_within_the_allowance_and_withholds_only_with_a_finding(
    receipts, allowance
):
    found = {f.finding_id: f for f in detect(receipts, allowance)}
    result = outcomes(receipts, allowance, policy="first", cutoff=LATER)
    assert len(result) == len(receipts)
    for r, outcome, fid in result:
        assert (outcome == PAID) == (fid is None)
        if outcome == WITHHELD:
            assert r.key in found[fid].receipts
    assert sum(r.amount_cents for r, outcome, _ in result if outcome == PAID) <= allowance


@settings(max_examples=300, deadline=None)
@given(receipts_of_one_credential(), st.integers(1, 12_000), st.sampled_from(["all", "first"]))
def test_no_policy_pays_a_token_twice_or_withholds_without_a_finding(receipts, allowance, policy):
    found = {f.finding_id: f for f in detect(receipts, allowance)}
    result = outcomes(receipts, allowance, policy=policy, cutoff=LATER)
    paid = [r.scan_key for r, outcome, _ in result if outcome == PAID]
    assert len(paid) == len(set(paid))
    for r, outcome, fid in result:
        if outcome == WITHHELD:
            assert r.key in found[fid].receipts

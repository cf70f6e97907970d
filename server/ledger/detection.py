"""SPEC §6, double spending across shops: rule 13 over every shop's receipts, one rule a function.

A scanner checks rule 13 against its own journal; the server, which sees every
shop's batches, checks it again across all of them for the receipts of one
credential or voucher. ``detect`` runs the SPEC's checks in the SPEC's order:

1. ``rule_1_forks`` — two different payments with one (cti, seq);
2. ``rule_2_contradictions`` — cumulative totals that cannot both be honest;
3. ``rule_3_over_allowance`` — a credential's payments summing above its allowance;
4. ``rule_4_voucher_redeemed_twice`` — a voucher accepted more than once.

Three checks go beyond the SPEC, each saying so in its docstring:
``extra_token_copies`` (the very same token accepted by two shops),
``extra_spent_after_revocation`` (a token honoured under the older trust list
its till had, revoked by a newer one: SPEC 1.1 §8 pays it, the caisse reviews
it) and ``detect_member_period`` (a member's payments over ALL their
credentials of one month — a wallet re-activated on a new phone while the old
one kept paying offline — above the month's allowance, which no single
credential shows).

Pure functions, no database. A receipt is one shop's acceptance of one token;
the same token accepted by two shops is two receipts. Each finding's id is
derived from what it is about (see "Finding ids", the one place that does it),
so the same fraud found again on another night is the same finding; ids are
stored, and never change. ``outcomes`` then applies the caisse's policy to the
receipts not yet settled.

Policy that holds under every ``settle_conflicts``: a token is paid at most once,
to its first upload. A copy (the same bytes from another shop) is withheld for
the caisse's review, which may release it: anyone who saw a QR can present it,
so a copy is no evidence against the member. A member is blocked automatically
(``BLOCKS_MEMBER``) only on what only their key could sign: forks, contradicting
totals, spending over an allowance.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from keys.verify import contradicts

FORK, CONTRADICTION, OVER_ALLOWANCE = "fork", "contradiction", "over_allowance"
TOKEN_COPY, VOUCHER_REUSE = "token_copy", "voucher_reuse"
MEMBER_OVER_ALLOWANCE = "member_over_allowance"
SPENT_AFTER_REVOCATION = "spent_after_revocation"
KINDS = (
    FORK,
    CONTRADICTION,
    OVER_ALLOWANCE,
    TOKEN_COPY,
    VOUCHER_REUSE,
    MEMBER_OVER_ALLOWANCE,
    SPENT_AFTER_REVOCATION,
)
# Evidence only the member's key could make: a new finding of these blocks them
# (``block_on_fraud``). A copy, a voucher used twice or a payment honoured under an
# older trust list is reviewed by the caisse, never held against the member.
BLOCKS_MEMBER = frozenset({FORK, CONTRADICTION, OVER_ALLOWANCE, MEMBER_OVER_ALLOWANCE})
PAID, WITHHELD = "paid", "withheld"
MAX_PROOF = 50  # counterparts listed for one contradicting payment


@dataclass(frozen=True, slots=True)
class Receipt:
    scan_key: bytes
    token_id: bytes
    kind: str  # "payment" or "voucher"
    cti: bytes
    member_sub: bytes | None
    seq: int
    amount_cents: int
    cumulative_cents: int
    merchant_id: str
    scanned_at: int
    received_at: int
    settled: bool = False
    paid: bool = False
    is_copy: bool = False  # accepted by this shop after another shop had sent it
    revoked_by: int | None = None  # honoured under the till's list; this newer list revoked it

    @property
    def key(self) -> tuple[bytes, str]:
        return (self.scan_key, self.merchant_id)

    @property
    def upload_order(self) -> tuple[bool, int, int, str]:
        """Who sent the token first: the stored receipt, then arrival, then scan time."""
        return (self.is_copy, self.received_at, self.scanned_at, self.merchant_id)

    @property
    def order(self) -> tuple[int, int, bytes, str]:
        """Who scanned first: scan time, then arrival, then a stable tie-break."""
        return (self.scanned_at, self.received_at, self.scan_key, self.merchant_id)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    cti: bytes
    member_sub: bytes | None
    finding_id: str  # from one of the ``*_id`` functions below, never written by hand
    amount_cents: int
    summary: str
    receipts: list[tuple[bytes, str]] = field(default_factory=list)


# -- finding ids: derived here, and only here ------------------------------------
#
# sha256(kind, 0, what it is about, 0, discriminator), cut to 24 hex digits. Stored
# in every caisse's database: changing a byte here turns old findings into new ones.


def _finding_id(kind: str, about: bytes, discriminator: bytes = b"") -> str:
    digest = hashlib.sha256(kind.encode() + b"\0" + about + b"\0" + discriminator).hexdigest()
    return digest[:24]


def fork_id(cti: bytes, seq: int) -> str:
    return _finding_id(FORK, cti, seq.to_bytes(8, "big"))


def contradiction_id(cti: bytes, later_scan_key: bytes) -> str:
    """One per contradicting payment: the one (of higher seq) whose total ignores another."""
    return _finding_id(CONTRADICTION, cti, later_scan_key)


def over_allowance_id(cti: bytes) -> str:
    return _finding_id(OVER_ALLOWANCE, cti)


def voucher_reuse_id(cti: bytes) -> str:
    return _finding_id(VOUCHER_REUSE, cti)


def token_copy_id(cti: bytes, scan_key: bytes) -> str:
    return _finding_id(TOKEN_COPY, cti, scan_key)


def spent_after_revocation_id(cti: bytes, scan_key: bytes) -> str:
    return _finding_id(SPENT_AFTER_REVOCATION, cti, scan_key)


def member_over_allowance_id(sub: bytes, period: str) -> str:
    """By (member, month), not by credential: a third credential later is no second finding."""
    return _finding_id(MEMBER_OVER_ALLOWANCE, sub, period.encode())


# -- what the server saw of one cti ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seen:
    """Every receipt of one credential or voucher (settled or not), grouped by token."""

    cti: bytes
    member_sub: bytes | None
    kind: str  # "payment" or "voucher", as all of its receipts
    receipts: Sequence[Receipt]
    by_token: dict[bytes, list[Receipt]]  # scan_key -> its receipts, in first-seen order
    # One receipt per distinct token: the first shop's (a copy is not a new payment).
    tokens: list[Receipt]

    @classmethod
    def of(cls, receipts: Sequence[Receipt]) -> Seen:
        by_token: dict[bytes, list[Receipt]] = defaultdict(list)
        for r in receipts:
            by_token[r.scan_key].append(r)
        sub = next((r.member_sub for r in receipts if r.member_sub), None)
        tokens = [g[0] if len(g) == 1 else min(g, key=_by_order) for g in by_token.values()]
        return cls(receipts[0].cti, sub, receipts[0].kind, receipts, dict(by_token), tokens)

    def proof(self, tokens: Sequence[Receipt]) -> list[tuple[bytes, str]]:
        """Every shop's receipt of each of these tokens."""
        return [r.key for t in tokens for r in self.by_token[t.scan_key]]

    def finding(
        self,
        kind: str,
        finding_id: str,
        amount_cents: int,
        summary: str,
        receipts: list[tuple[bytes, str]],
    ) -> Finding:
        return Finding(kind, self.cti, self.member_sub, finding_id, amount_cents, summary, receipts)


def _by_order(r: Receipt) -> tuple[int, int, bytes, str]:
    return r.order


def _in_scan_order(receipts: Sequence[Receipt]) -> list[Receipt]:
    return sorted(receipts, key=_by_order)


def first_uploads(receipts: Sequence[Receipt]) -> dict[bytes, tuple[bytes, str]]:
    """For each token received more than once: the receipt that is paid, the first upload."""
    by_token: dict[bytes, list[Receipt]] = defaultdict(list)
    for r in receipts:
        by_token[r.scan_key].append(r)
    return {k: min(g, key=lambda r: r.upload_order).key for k, g in by_token.items() if len(g) > 1}


# -- the rules of SPEC §6, in its order ----------------------------------------------


def rule_1_forks(seen: Seen) -> list[Finding]:
    """Two different payments with one (cti, seq): one finding per seq.

    The amount is what was spent beyond the largest of them.
    """
    by_seq: dict[int, list[Receipt]] = defaultdict(list)
    for t in seen.tokens:
        by_seq[t.seq].append(t)
    out: list[Finding] = []
    for seq, group in sorted(by_seq.items()):
        if len(group) < 2:
            continue
        ordered = _in_scan_order(group)
        amounts = [t.amount_cents for t in ordered]
        out.append(
            seen.finding(
                FORK,
                fork_id(seen.cti, seq),
                sum(amounts) - max(amounts),
                f"{len(ordered)} different payments with seq {seq}",
                seen.proof(ordered),
            )
        )
    return out


def rule_2_contradictions(seen: Seen) -> list[Finding]:
    """A payment whose cumulative total ignores a lower-seq payment seen elsewhere.

    For seq a < seq b, ``cum_b - amt_b >= cum_a`` must hold (``keys.verify.contradicts``).
    One finding per contradicting payment, with up to ``MAX_PROOF`` of the payments
    it ignores (largest total first); the amount is what its total left out, at most
    its own amount. A payment the member cancelled and a shop accepted anyway shows
    here too (SPEC §6).
    """
    ordered = sorted(seen.tokens, key=lambda t: (t.seq, t.scan_key))
    out: list[Finding] = []
    best = -1  # highest cum among payments of strictly lower seq
    i = 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j].seq == ordered[i].seq:
            j += 1
        for b in ordered[i:j]:
            spent_before = b.cumulative_cents - b.amount_cents
            if best <= spent_before:
                continue
            earlier = [a for a in ordered[:i] if contradicts(a, b)]
            earlier.sort(key=lambda a: -a.cumulative_cents)
            cancelled = cancelled_then_spent(earlier[0], b, ordered)
            out.append(
                seen.finding(
                    CONTRADICTION,
                    contradiction_id(seen.cti, b.scan_key),
                    min(b.amount_cents, best - spent_before),
                    f"payment seq {b.seq} counts {spent_before} "
                    f"cents spent before it, but seq {earlier[0].seq} already had "
                    f"{earlier[0].cumulative_cents}"
                    + (
                        f"; it leaves out exactly seq {earlier[0].seq}: a payment the "
                        "member cancelled, accepted by a shop anyway"
                        if cancelled
                        else ""
                    ),
                    seen.proof([b, *earlier[:MAX_PROOF]]),
                )
            )
        best = max([best, *(t.cumulative_cents for t in ordered[i:j])])
        i = j
    return out


def cancelled_then_spent(a: Receipt, b: Receipt, tokens: Sequence[Receipt]) -> bool:
    """True when payment ``b`` contradicts ``a`` by leaving out exactly ``a``'s amount (SPEC
    §3, §6): the wallet cancelled ``a`` and later payments skip it, which a shop accepted
    anyway — not a forged total. Said only when the payments received between them
    account for the rest of ``b``'s total exactly (one token per seq)."""
    between = [t for t in tokens if a.seq < t.seq < b.seq]
    if len({t.seq for t in between}) != len(between):
        return False
    before_b = b.cumulative_cents - b.amount_cents
    return before_b == a.cumulative_cents - a.amount_cents + sum(t.amount_cents for t in between)


def rule_3_over_allowance(seen: Seen, allowance_cents: int | None) -> list[Finding]:
    """A credential's payments summing above its signed allowance.

    Each token counts once: a copy of a token (the same bytes again) is no new
    spending by the member. No allowance known (the credential could not be
    read), no check.
    """
    if allowance_cents is None:
        return []
    spent = sum(t.amount_cents for t in seen.tokens)
    if spent <= allowance_cents:
        return []
    return [
        seen.finding(
            OVER_ALLOWANCE,
            over_allowance_id(seen.cti),
            spent - allowance_cents,
            f"payments total {spent} cents for an allowance of {allowance_cents}",
            [r.key for r in _in_scan_order(seen.receipts)],
        )
    ]


def rule_4_voucher_redeemed_twice(seen: Seen) -> list[Finding]:
    """A voucher accepted more than once (by one shop or several): every time after the first."""
    if len(seen.receipts) < 2:
        return []
    ordered = _in_scan_order(seen.receipts)
    shops = sorted({r.merchant_id for r in ordered})
    return [
        seen.finding(
            VOUCHER_REUSE,
            voucher_reuse_id(seen.cti),
            sum(r.amount_cents for r in ordered[1:]),
            f"voucher redeemed {len(ordered)} times ({', '.join(shops)})",
            [r.key for r in ordered],
        )
    ]


# -- beyond the SPEC -------------------------------------------------------------------


def _when(r: Receipt) -> str:
    return f"{r.merchant_id} (scanned {r.scanned_at}, received {r.received_at})"


def extra_token_copies(seen: Seen) -> list[Finding]:
    """Beyond the SPEC: the very same payment token accepted by two or more shops.

    Rule 13's REPLAY across shops (a screenshot of the QR shown twice); §6 does
    not list it. One finding per token, listing the shop that sent it first
    (paid) and every later one (withheld until the caisse releases them), with
    their times; the amount is what releasing them all would pay again.
    """
    out: list[Finding] = []
    for scan_key, group in seen.by_token.items():
        if len(group) < 2:
            continue
        ordered = sorted(group, key=lambda r: r.upload_order)
        first = ordered[0]
        out.append(
            seen.finding(
                TOKEN_COPY,
                token_copy_id(seen.cti, scan_key),
                first.amount_cents * (len(ordered) - 1),
                f"payment seq {first.seq} ({first.amount_cents} cents) sent first by "
                f"{_when(first)}; the same QR from {', '.join(_when(r) for r in ordered[1:])}",
                [r.key for r in ordered],
            )
        )
    return out


def extra_spent_after_revocation(seen: Seen) -> list[Finding]:
    """Beyond the SPEC (its §8 asks for the report): a token honoured under the trust
    list the till had, although a newer list in force at its scan time revoked the
    credential or member — a lost phone spent before the till fetched the new list.

    Paid (the shop trusted its OK), never a reason to block anyone (the member
    or credential already is); one finding per token, for the caisse's review.
    """
    out: list[Finding] = []
    for scan_key, group in seen.by_token.items():
        flagged = [r for r in group if r.revoked_by is not None and not r.is_copy]
        if not flagged:
            continue
        r = flagged[0]
        what = f"payment seq {r.seq}" if r.kind == "payment" else "voucher"
        out.append(
            seen.finding(
                SPENT_AFTER_REVOCATION,
                spent_after_revocation_id(seen.cti, scan_key),
                r.amount_cents,
                f"{what} ({r.amount_cents} cents) spent after revocation, before the till "
                f"knew: accepted by {_when(r)} with an older trust list; "
                f"list {r.revoked_by} revoked it",
                [r.key],
            )
        )
    return out


def detect(receipts: Sequence[Receipt], allowance_cents: int | None) -> list[Finding]:
    """Every finding about one cti (all its receipts, settled or not), rule after rule.

    Token copies come first, as REPLAY comes before DOUBLE_SPEND in rule 13; the
    order is kept so that summaries and the first finding about a member stay
    what they were (only ``BLOCKS_MEMBER`` kinds block).
    """
    if not receipts:
        return []
    seen = Seen.of(receipts)
    if seen.kind == "voucher":
        return [*rule_4_voucher_redeemed_twice(seen), *extra_spent_after_revocation(seen)]
    return [
        *extra_token_copies(seen),
        *rule_1_forks(seen),
        *rule_2_contradictions(seen),
        *rule_3_over_allowance(seen, allowance_cents),
        *extra_spent_after_revocation(seen),
    ]


# -- beyond the SPEC: a member's month over all their credentials ------------------------


@dataclass(frozen=True, slots=True)
class PeriodCredential:
    """One credential the server issued to a member for a period, with its receipts."""

    cti: bytes
    allowance_cents: int
    receipts: Sequence[Receipt]


def period_allowance(credentials: Sequence[PeriodCredential]) -> int:
    """The month's allowance: that of the first credential issued for it.

    A re-activated wallet's credential carries only what was left after the
    payments already received, so it is never larger than the first one; the
    largest is the month's allowance as the caisse granted it.
    """
    return max(c.allowance_cents for c in credentials)


def detect_member_period(
    sub: bytes, period: str, credentials: Sequence[PeriodCredential]
) -> Finding | None:
    """Beyond the SPEC: a member's payments over all their credentials of ``period``
    above its allowance (``member_over_allowance``).

    ``credentials`` in issue order. Only when two or more credentials were
    spent: one credential above its own allowance is ``over_allowance``. Every
    receipt counts (as for ``over_allowance``: each is money the caisse pays).
    The finding names the last-issued credential spent (the one still in use,
    the older ones are already revoked) and is identified by (member, period).
    Each token counts once (a copy is no spending by the member).
    """
    spent_on = [c for c in credentials if c.receipts]
    if len(spent_on) < 2:
        return None
    allowance = period_allowance(credentials)
    receipts = [r for c in spent_on for r in c.receipts]
    spent = sum({r.scan_key: r.amount_cents for r in receipts}.values())
    if spent <= allowance:
        return None
    return Finding(
        MEMBER_OVER_ALLOWANCE,
        spent_on[-1].cti,
        sub,
        member_over_allowance_id(sub, period),
        spent - allowance,
        f"payments total {spent} cents over {len(spent_on)} credentials of {period} "
        f"for a monthly allowance of {allowance}",
        [r.key for r in _in_scan_order(receipts)],
    )


# -- settlement policy -------------------------------------------------------------------


def _conflict(r: Receipt, accepted: list[Receipt], spent: int, allowance: int | None) -> str | None:
    """The id of the finding a receipt conflicts with, given those accepted before it."""
    for a in accepted:
        if r.kind == "voucher":
            return voucher_reuse_id(r.cti)
        if a.scan_key == r.scan_key:
            return token_copy_id(r.cti, r.scan_key)
        if a.seq == r.seq:
            return fork_id(r.cti, r.seq)
        if contradicts(a, r):
            later = r if r.seq > a.seq else a
            return contradiction_id(r.cti, later.scan_key)
    if allowance is not None and spent + r.amount_cents > allowance:
        return over_allowance_id(r.cti)
    return None


def outcomes(
    receipts: Sequence[Receipt],
    allowance_cents: int | None,
    *,
    policy: str,
    cutoff: int,
) -> list[tuple[Receipt, str, str | None]]:
    """(receipt, paid|withheld, finding id) for each unsettled receipt scanned before cutoff.

    Under every policy a token is paid at most once, to its first upload: every
    other receipt of it (a copy from another shop, a voucher presented again) is
    withheld with its ``token_copy`` / ``voucher_reuse`` finding until the caisse
    releases it. Then ``policy="all"``: every first upload is paid — each shop
    accepted a token the server verified, and had no way to see the others.
    ``policy="first"``: receipts are taken in scan order as one global scanner
    journal would; one that conflicts with a receipt already accepted before it
    (paid, or first in this run) is withheld, with the finding it belongs to. A
    receipt paid in an earlier settlement stays paid: nothing is clawed back.
    """
    ordered = _in_scan_order(receipts)
    paid_to = first_uploads(receipts)
    out: list[tuple[Receipt, str, str | None]] = []
    accepted: list[Receipt] = []
    spent = 0
    for r in ordered:
        if r.settled:
            if r.paid:
                accepted.append(r)
                spent += r.amount_cents
            continue
        if r.scanned_at >= cutoff:
            if policy == "first":
                break
            continue
        if paid_to.get(r.scan_key, r.key) != r.key:
            again = voucher_reuse_id(r.cti) if r.kind == "voucher" else None
            out.append((r, WITHHELD, again or token_copy_id(r.cti, r.scan_key)))
            continue
        conflict = None if policy == "all" else _conflict(r, accepted, spent, allowance_cents)
        if conflict is None:
            accepted.append(r)
            spent += r.amount_cents
            out.append((r, PAID, None))
        else:
            out.append((r, WITHHELD, conflict))
    return out

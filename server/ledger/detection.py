"""SPEC §6: rule 13 across every shop, for the receipts of one credential or voucher.

Pure functions (no database): ``detect`` finds what no scanner could see
offline — two payments with one (cti, seq), cumulative totals that contradict,
payments summing above the allowance, a token (or paper voucher) accepted by
more than one shop — ``detect_member_period`` what no credential shows on its
own: a member's payments over ALL their credentials of one month (a wallet
re-activated on a new phone while the old one kept paying offline) above the
month's allowance — and ``outcomes`` applies the caisse's policy to the
receipts not yet settled. A receipt is one shop's acceptance of one token; the
same token accepted by two shops is two receipts.
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
KINDS = (FORK, CONTRADICTION, OVER_ALLOWANCE, TOKEN_COPY, VOUCHER_REUSE, MEMBER_OVER_ALLOWANCE)
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

    @property
    def key(self) -> tuple[bytes, str]:
        return (self.scan_key, self.merchant_id)

    @property
    def order(self) -> tuple[int, int, bytes, str]:
        """Who scanned first: scan time, then arrival, then a stable tie-break."""
        return (self.scanned_at, self.received_at, self.scan_key, self.merchant_id)


@dataclass(slots=True)
class Finding:
    kind: str
    cti: bytes
    member_sub: bytes | None
    discriminator: bytes
    amount_cents: int
    summary: str
    receipts: list[tuple[bytes, str]] = field(default_factory=list)
    # What the id is derived from when it is not the cti (a member's month: the
    # member's sub, so a third credential later does not make a second finding).
    subject: bytes | None = None

    @property
    def finding_id(self) -> str:
        return finding_id(self.kind, self.subject or self.cti, self.discriminator)


def finding_id(kind: str, cti: bytes, discriminator: bytes) -> str:
    """Stable id: the same fraud found again on another night is the same finding."""
    digest = hashlib.sha256(kind.encode() + b"\0" + cti + b"\0" + discriminator).hexdigest()
    return digest[:24]


def _fork_id(cti: bytes, seq: int) -> str:
    return finding_id(FORK, cti, seq.to_bytes(8, "big"))


def detect(receipts: Sequence[Receipt], allowance_cents: int | None) -> list[Finding]:
    """Every finding about one cti (all its receipts, settled or not)."""
    if not receipts:
        return []
    first = receipts[0]
    cti, sub = first.cti, next((r.member_sub for r in receipts if r.member_sub), None)
    by_token: dict[bytes, list[Receipt]] = defaultdict(list)
    for r in receipts:
        by_token[r.scan_key].append(r)
    out: list[Finding] = []
    if first.kind == "voucher":
        if len(receipts) > 1:
            ordered = sorted(receipts, key=lambda r: r.order)
            extra = sum(r.amount_cents for r in ordered[1:])
            shops = sorted({r.merchant_id for r in ordered})
            out.append(
                Finding(
                    VOUCHER_REUSE,
                    cti,
                    sub,
                    b"",
                    extra,
                    f"voucher redeemed {len(ordered)} times ({', '.join(shops)})",
                    [r.key for r in ordered],
                )
            )
        return out
    tokens = [min(group, key=lambda r: r.order) for group in by_token.values()]
    for group in by_token.values():
        if len(group) > 1:
            ordered = sorted(group, key=lambda r: r.order)
            out.append(
                Finding(
                    TOKEN_COPY,
                    cti,
                    sub,
                    ordered[0].scan_key,
                    ordered[0].amount_cents * (len(ordered) - 1),
                    f"payment seq {ordered[0].seq} accepted by {len(ordered)} shops "
                    f"({', '.join(r.merchant_id for r in ordered)})",
                    [r.key for r in ordered],
                )
            )
    by_seq: dict[int, list[Receipt]] = defaultdict(list)
    for t in tokens:
        by_seq[t.seq].append(t)
    for seq, group in sorted(by_seq.items()):
        if len(group) > 1:
            ordered = sorted(group, key=lambda r: r.order)
            amounts = [t.amount_cents for t in ordered]
            out.append(
                Finding(
                    FORK,
                    cti,
                    sub,
                    seq.to_bytes(8, "big"),
                    sum(amounts) - max(amounts),
                    f"{len(ordered)} different payments with seq {seq}",
                    [r.key for t in ordered for r in by_token[t.scan_key]],
                )
            )
    out.extend(_contradictions(tokens, by_token, cti, sub))
    if allowance_cents is not None:
        spent = sum(r.amount_cents for r in receipts)
        if spent > allowance_cents:
            out.append(
                Finding(
                    OVER_ALLOWANCE,
                    cti,
                    sub,
                    b"",
                    spent - allowance_cents,
                    f"payments total {spent} cents for an allowance of {allowance_cents}",
                    [r.key for r in sorted(receipts, key=lambda r: r.order)],
                )
            )
    return out


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
    """A member's payments over all their credentials of ``period`` above its allowance.

    ``credentials`` in issue order. Only when two or more credentials were
    spent: one credential above its own allowance is ``over_allowance``. Every
    receipt counts (as for ``over_allowance``: each is money the caisse pays).
    The finding names the last-issued credential spent (the one still in use,
    the older ones are already revoked) and is identified by (member, period).
    """
    spent_on = [c for c in credentials if c.receipts]
    if len(spent_on) < 2:
        return None
    allowance = period_allowance(credentials)
    receipts = [r for c in spent_on for r in c.receipts]
    spent = sum(r.amount_cents for r in receipts)
    if spent <= allowance:
        return None
    return Finding(
        MEMBER_OVER_ALLOWANCE,
        spent_on[-1].cti,
        sub,
        period.encode(),
        spent - allowance,
        f"payments total {spent} cents over {len(spent_on)} credentials of {period} "
        f"for a monthly allowance of {allowance}",
        [r.key for r in sorted(receipts, key=lambda r: r.order)],
        subject=sub,
    )


def _contradictions(
    tokens: list[Receipt], by_token: dict[bytes, list[Receipt]], cti: bytes, sub: bytes | None
) -> list[Finding]:
    """Payments whose total ignores a lower-seq payment seen elsewhere (one finding each)."""
    ordered = sorted(tokens, key=lambda t: (t.seq, t.scan_key))
    out: list[Finding] = []
    best = -1  # highest cum among payments of strictly lower seq
    i = 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j].seq == ordered[i].seq:
            j += 1
        for b in ordered[i:j]:
            if best > b.cumulative_cents - b.amount_cents:
                earlier = [a for a in ordered[:i] if contradicts(a, b)]
                earlier.sort(key=lambda a: -a.cumulative_cents)
                proof = [b, *earlier[:MAX_PROOF]]
                shortfall = best - (b.cumulative_cents - b.amount_cents)
                cancelled = cancelled_then_spent(earlier[0], b, ordered)
                out.append(
                    Finding(
                        CONTRADICTION,
                        cti,
                        sub,
                        b.scan_key,
                        min(b.amount_cents, shortfall),
                        f"payment seq {b.seq} counts {b.cumulative_cents - b.amount_cents} "
                        f"cents spent before it, but seq {earlier[0].seq} already had "
                        f"{earlier[0].cumulative_cents}"
                        + (
                            f"; it leaves out exactly seq {earlier[0].seq}: a payment the "
                            "member cancelled, accepted by a shop anyway"
                            if cancelled
                            else ""
                        ),
                        [r.key for t in proof for r in by_token[t.scan_key]],
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


def _conflict(r: Receipt, accepted: list[Receipt], spent: int, allowance: int | None) -> str | None:
    """The finding that a receipt conflicts with, given those accepted before it."""
    for a in accepted:
        if r.kind == "voucher":
            return finding_id(VOUCHER_REUSE, r.cti, b"")
        if a.scan_key == r.scan_key:
            return finding_id(TOKEN_COPY, r.cti, r.scan_key)
        if a.seq == r.seq:
            return _fork_id(r.cti, r.seq)
        if contradicts(a, r):
            later = r if r.seq > a.seq else a
            return finding_id(CONTRADICTION, r.cti, later.scan_key)
    if allowance is not None and spent + r.amount_cents > allowance:
        return finding_id(OVER_ALLOWANCE, r.cti, b"")
    return None


def outcomes(
    receipts: Sequence[Receipt],
    allowance_cents: int | None,
    *,
    policy: str,
    cutoff: int,
) -> list[tuple[Receipt, str, str | None]]:
    """(receipt, paid|withheld, finding id) for each unsettled receipt scanned before cutoff.

    ``policy="all"``: every receipt is paid — each shop accepted a token the
    server verified, and had no way to see the others. ``policy="first"``:
    receipts are taken in scan order as one global scanner journal would; one
    that conflicts with a receipt already accepted before it (paid, or first
    in this run) is withheld, with the finding it belongs to. A receipt paid
    in an earlier settlement stays paid: nothing is clawed back.
    """
    ordered = sorted(receipts, key=lambda r: r.order)
    out: list[tuple[Receipt, str, str | None]] = []
    if policy == "all":
        return [(r, PAID, None) for r in ordered if not r.settled and r.scanned_at < cutoff]
    accepted: list[Receipt] = []
    spent = 0
    for r in ordered:
        if r.settled:
            if r.paid:
                accepted.append(r)
                spent += r.amount_cents
            continue
        if r.scanned_at >= cutoff:
            break
        conflict = _conflict(r, accepted, spent, allowance_cents)
        if conflict is None:
            accepted.append(r)
            spent += r.amount_cents
            out.append((r, PAID, None))
        else:
            out.append((r, WITHHELD, conflict))
    return out

"""Verification at the till (SPEC §5), one small function per numbered step.

``verify_qr`` is a pure function of (QR text, trust list, merchant id, now,
journal view): it reads no clock and writes nothing. Each ``step_N_*`` either
returns what the next steps need or raises ``Refusal`` with the SPEC's code;
the first refusal is the result. Recording an OK scan is the caller's job (the
scanner's journal commits it before the till shows OK).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from . import cose, tokens
from .tokens import Credential, CredentialCache, MalformedToken, Payment, TokenType, Voucher
from .trust_list import Issuer, TrustList


class ResultCode(StrEnum):
    """Exactly the SPEC's result codes."""

    OK = "OK"
    TRUST_LIST_INVALID = "TRUST_LIST_INVALID"
    TRUST_LIST_EXPIRED = "TRUST_LIST_EXPIRED"
    MALFORMED = "MALFORMED"
    UNSUPPORTED_ALG = "UNSUPPORTED_ALG"
    WRONG_TYPE = "WRONG_TYPE"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    ISSUER_KEY_INVALID = "ISSUER_KEY_INVALID"
    REVOKED = "REVOKED"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    STALE = "STALE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    OVER_ALLOWANCE = "OVER_ALLOWANCE"
    WRONG_MERCHANT = "WRONG_MERCHANT"
    REPLAY = "REPLAY"
    DOUBLE_SPEND = "DOUBLE_SPEND"


class Refusal(Exception):
    """A verification step failed; ``code`` is the result."""

    def __init__(self, code: ResultCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class AcceptedPayment:
    """What a journal remembers of an accepted payment, for rule 13."""

    seq: int
    amount_cents: int
    cumulative_cents: int
    token_id: bytes


class JournalView(Protocol):
    """Read-only view of a scanner's accepted scans (only OK scans count)."""

    def has_token(self, token_id: bytes) -> bool: ...

    def voucher_redeemed(self, cti: bytes) -> bool: ...

    def payments_of(self, credential_cti: bytes) -> Iterable[AcceptedPayment]: ...


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The verdict on one QR, with the decoded fields a till or an audit needs.

    ``token`` and ``token_id`` are set only once the signatures verified: what a
    forger wrote is never reported as if it meant something.
    """

    code: ResultCode
    message: str = ""
    token: Payment | Voucher | None = None
    token_id: bytes | None = None
    cose: bytes | None = None  # the token's bytes as received, once its signatures verified

    @property
    def ok(self) -> bool:
        return self.code is ResultCode.OK

    @property
    def amount_cents(self) -> int | None:
        return self.token.amount_cents if self.token is not None else None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary: code, amount and ids (hex); never a personal datum."""
        out: dict[str, Any] = {"code": self.code.value}
        if self.message:
            out["message"] = self.message
        t = self.token
        if isinstance(t, Payment):
            c = t.credential
            out.update(
                kind="payment",
                amount_cents=t.amount_cents,
                seq=t.seq,
                cumulative_cents=t.cumulative_cents,
                iat=t.iat,
                caisse=c.iss,
                member=c.sub.hex(),
                credential_id=c.cti.hex(),
                allowance_cents=c.allowance_cents,
            )
            if t.aud is not None:
                out["aud"] = t.aud
        elif isinstance(t, Voucher):
            out.update(kind="voucher", amount_cents=t.amount_cents, caisse=t.iss)
            out["voucher_id"] = t.cti.hex()
            if t.sub is not None:
                out["member"] = t.sub.hex()
        if self.token_id is not None:
            out["token_id"] = self.token_id.hex()
        if not self.ok:
            # A refused token's amount is not an amount anybody may rely on.
            out.pop("amount_cents", None)
        return out


# -- the steps ------------------------------------------------------------------


def step_1_trust_list_in_force(trust_list: TrustList, now: int) -> None:
    if not now < trust_list.expires_at:
        raise Refusal(
            ResultCode.TRUST_LIST_EXPIRED,
            f"trust list seq {trust_list.seq} expired at {trust_list.expires_at}",
        )


def step_2_parse(
    qr: str | bytes, credentials: CredentialCache | None
) -> tuple[bytes, tokens.Token]:
    """Prefix, base45, CBOR, COSE_Sign1 shape, 64-byte signature, field types."""
    try:
        cose = tokens.from_qr(qr)
        return cose, tokens.decode_token(cose, credentials)
    except MalformedToken as exc:
        raise Refusal(ResultCode.MALFORMED, str(exc)) from None


def _signers(token: tokens.Token) -> list[cose.Sign1]:
    if isinstance(token, Payment):
        return [token.sign1, token.credential.sign1]
    return [token.sign1]


def step_3_algorithm(token: tokens.Token) -> None:
    for sign1 in _signers(token):
        if type(sign1.alg) is not int or sign1.alg != cose.ALG_EDDSA:
            raise Refusal(ResultCode.UNSUPPORTED_ALG, f"alg {sign1.alg!r} is not EdDSA (-8)")


def step_4_type(token: tokens.Token) -> Payment | Voucher:
    if isinstance(token, Payment | Voucher):
        return token
    if isinstance(token, Credential):
        raise Refusal(ResultCode.WRONG_TYPE, "a bare credential is not spendable")
    if token.embedded:
        names = {int(TokenType.PAYMENT): "a payment", int(TokenType.VOUCHER): "a voucher"}
        what = names.get(token.typ, f"typ {token.typ}")
        raise Refusal(ResultCode.WRONG_TYPE, f"the embedded object is {what}, not a credential")
    raise Refusal(ResultCode.WRONG_TYPE, f"typ {token.typ} is neither a payment nor a voucher")


def _issued(token: Payment | Voucher) -> Credential | Voucher:
    """The part signed by the caisse: the payment's credential, or the voucher."""
    return token.credential if isinstance(token, Payment) else token


def step_5_issuer_key(token: Payment | Voucher, trust_list: TrustList) -> Issuer:
    issued = _issued(token)
    issuer = trust_list.issuer(issued.kid)
    if issuer is None or issuer.caisse != issued.iss:
        raise Refusal(
            ResultCode.UNKNOWN_KEY,
            f"issuer key {issued.kid.hex()} of {issued.iss!r} is not in the trust list",
        )
    return issuer


def step_6_signatures(
    token: Payment | Voucher, issuer: Issuer, credentials: CredentialCache | None
) -> None:
    if isinstance(token, Voucher):
        if not token.sign1.verify(issuer.key):
            raise Refusal(ResultCode.BAD_SIGNATURE, "voucher signature does not verify")
        return
    cred_bytes = token.credential_cose
    cached = credentials.verified_with(cred_bytes) if credentials is not None else None
    if cached != issuer.key:
        if not token.credential.sign1.verify(issuer.key):
            raise Refusal(ResultCode.BAD_SIGNATURE, "credential signature does not verify")
        if credentials is not None:
            credentials.mark_verified(cred_bytes, issuer.key)
    if not token.sign1.verify(token.credential.member_public_key):
        raise Refusal(ResultCode.BAD_SIGNATURE, "payment signature does not verify")


def step_7_issuer_key_in_force(issuer: Issuer, now: int) -> None:
    if not issuer.not_before <= now < issuer.not_after:
        raise Refusal(
            ResultCode.ISSUER_KEY_INVALID,
            f"issuer key {issuer.kid.hex()} is valid from {issuer.not_before} "
            f"until {issuer.not_after}, not at {now}",
        )


def step_8_revocation(token: Payment | Voucher, trust_list: TrustList) -> None:
    sub: bytes | None
    if isinstance(token, Payment):
        cti, sub, revoked_ids = (
            token.credential.cti,
            token.credential.sub,
            trust_list.revoked_credentials,
        )
    else:
        cti, sub, revoked_ids = token.cti, token.sub, trust_list.revoked_vouchers
    if cti in revoked_ids:
        raise Refusal(ResultCode.REVOKED, f"{cti.hex()} is revoked")
    if sub is not None and sub in trust_list.revoked_members:
        raise Refusal(ResultCode.REVOKED, "this member is blocked")


def step_9_validity_period(token: Payment | Voucher, now: int) -> None:
    issued = _issued(token)
    if now < issued.nbf:
        raise Refusal(ResultCode.NOT_YET_VALID, f"valid from {issued.nbf}, now {now}")
    if not now < issued.exp:
        raise Refusal(ResultCode.EXPIRED, f"expired at {issued.exp}, now {now}")


def step_10_freshness(token: Payment | Voucher, trust_list: TrustList, now: int) -> None:
    if not isinstance(token, Payment):
        return
    oldest, newest = now - trust_list.max_token_age_s, now + trust_list.max_clock_skew_s
    if not oldest <= token.iat <= newest:
        raise Refusal(
            ResultCode.STALE, f"payment made at {token.iat}, outside [{oldest}, {newest}]"
        )


def step_11_amounts(token: Payment | Voucher) -> None:
    if token.amount_cents < 1:
        raise Refusal(ResultCode.INVALID_AMOUNT, "amount must be at least 1 cent")
    if not isinstance(token, Payment):
        return
    if token.seq < 1:
        raise Refusal(ResultCode.INVALID_AMOUNT, "sequence numbers start at 1")
    if token.cumulative_cents < token.amount_cents:
        raise Refusal(ResultCode.INVALID_AMOUNT, "cumulative total is below the amount")
    if token.cumulative_cents > token.credential.allowance_cents:
        raise Refusal(
            ResultCode.OVER_ALLOWANCE,
            f"cumulative {token.cumulative_cents} exceeds the allowance "
            f"{token.credential.allowance_cents}",
        )


def step_12_audience(token: Payment | Voucher, merchant_id: str) -> None:
    aud = token.aud if isinstance(token, Payment) else None
    if aud is not None and aud != merchant_id:
        raise Refusal(ResultCode.WRONG_MERCHANT, f"payment is addressed to {aud!r}")


class Cumulative(Protocol):
    """What rule 13 reads of a payment: a journal entry, a token, or a server receipt."""

    @property
    def seq(self) -> int: ...
    @property
    def amount_cents(self) -> int: ...
    @property
    def cumulative_cents(self) -> int: ...


def contradicts(a: Cumulative, b: Cumulative) -> bool:
    """Rule 13 between two payments of one credential: same seq, or cumulative totals
    that cannot both be honest (for seq a < seq b, cum_b - amt_b >= cum_a must hold)."""
    if a.seq == b.seq:
        return True
    first, later = (a, b) if a.seq < b.seq else (b, a)
    return later.cumulative_cents - later.amount_cents < first.cumulative_cents


def step_13_journal(token: Payment | Voucher, tid: bytes, journal: JournalView) -> None:
    if journal.has_token(tid):
        raise Refusal(ResultCode.REPLAY, "already accepted")
    if isinstance(token, Voucher):
        if journal.voucher_redeemed(token.cti):
            raise Refusal(ResultCode.REPLAY, "voucher already redeemed")
        return
    for earlier in journal.payments_of(token.credential.cti):
        if contradicts(earlier, token):
            raise Refusal(
                ResultCode.DOUBLE_SPEND,
                f"payment seq {token.seq} contradicts accepted seq {earlier.seq}",
            )


# -- the verifier ---------------------------------------------------------------


def verify_qr(
    qr: str | bytes,
    *,
    trust_list: TrustList,
    merchant_id: str,
    now: int,
    journal: JournalView,
    credentials: CredentialCache | None = None,
) -> VerifyResult:
    """Run SPEC §5 steps 1-13 on one QR text and return the first failing code, or OK.

    ``credentials`` optionally remembers decoded credentials and checked issuer
    signatures across calls (it never changes a verdict, only its cost).
    """
    token: Payment | Voucher | None = None  # set once its signatures verified
    tid: bytes | None = None
    cose: bytes | None = None
    try:
        step_1_trust_list_in_force(trust_list, now)
        received, parsed = step_2_parse(qr, credentials)
        step_3_algorithm(parsed)
        spendable = step_4_type(parsed)
        issuer = step_5_issuer_key(spendable, trust_list)
        step_6_signatures(spendable, issuer, credentials)
        token, tid, cose = spendable, tokens.token_id(spendable.sign1.payload), received
        step_7_issuer_key_in_force(issuer, now)
        step_8_revocation(token, trust_list)
        step_9_validity_period(token, now)
        step_10_freshness(token, trust_list, now)
        step_11_amounts(token)
        step_12_audience(token, merchant_id)
        step_13_journal(token, tid, journal)
    except Refusal as refusal:
        return VerifyResult(refusal.code, refusal.message, token, tid, cose)
    return VerifyResult(ResultCode.OK, "", token, tid, cose)


class MemoryJournal:
    """An in-memory journal of accepted scans (tests, and `verify` without --journal)."""

    def __init__(self) -> None:
        self._tokens: set[bytes] = set()
        self._vouchers: set[bytes] = set()
        self._payments: dict[bytes, list[AcceptedPayment]] = {}

    def has_token(self, token_id: bytes) -> bool:
        return token_id in self._tokens

    def voucher_redeemed(self, cti: bytes) -> bool:
        return cti in self._vouchers

    def payments_of(self, credential_cti: bytes) -> Iterable[AcceptedPayment]:
        return self._payments.get(credential_cti, ())

    def record(self, result: VerifyResult) -> None:
        """Remember an OK scan; anything else is ignored (only OK scans enter a journal)."""
        if not result.ok or result.token_id is None:
            return
        self._tokens.add(result.token_id)
        token = result.token
        if isinstance(token, Voucher):
            self._vouchers.add(token.cti)
        elif isinstance(token, Payment):
            self._payments.setdefault(token.credential.cti, []).append(
                accepted_payment(token, result.token_id)
            )


def accepted_payment(payment: Payment, token_id: bytes) -> AcceptedPayment:
    return AcceptedPayment(payment.seq, payment.amount_cents, payment.cumulative_cents, token_id)

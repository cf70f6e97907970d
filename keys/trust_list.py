"""The signed trust list (SPEC §4): which issuer keys and tokens a scanner believes.

Built and signed by the caisse's root key; opened only against the root public
key pinned at enrolment. ``check_rollback`` refuses an older list than the one
installed, so a stale (less revoked) list cannot be replayed to a scanner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nacl.signing import SigningKey

from . import cbor, cose, ed25519

TRUST_LIST_TYPE = "trust-list"
DEFAULT_MAX_TOKEN_AGE_S = 600
DEFAULT_MAX_CLOCK_SKEW_S = 300
MAX_UINT = 2**63 - 1  # as for tokens: every uint fits a signed 64-bit integer


class TrustListInvalid(ValueError):
    """The trust list is not signed by the pinned root key, or not well formed."""


class TrustListRollback(TrustListInvalid):
    """The trust list is older (lower seq) than the one already installed."""


@dataclass(frozen=True, slots=True)
class Issuer:
    """A caisse issuer key and the period in which it may sign."""

    caisse: str
    kid: bytes
    key: bytes
    not_before: int
    not_after: int

    def to_cbor(self) -> dict[str, Any]:
        return {
            "caisse": self.caisse,
            "kid": self.kid,
            "key": self.key,
            "not_before": self.not_before,
            "not_after": self.not_after,
        }


@dataclass(frozen=True, slots=True)
class TrustList:
    seq: int
    issued_at: int
    expires_at: int
    issuers: tuple[Issuer, ...]
    revoked_credentials: frozenset[bytes] = frozenset()
    revoked_members: frozenset[bytes] = frozenset()
    revoked_vouchers: frozenset[bytes] = frozenset()
    max_token_age_s: int = DEFAULT_MAX_TOKEN_AGE_S
    max_clock_skew_s: int = DEFAULT_MAX_CLOCK_SKEW_S
    by_kid: dict[bytes, Issuer] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_kid.update({issuer.kid: issuer for issuer in self.issuers})

    def issuer(self, kid: bytes) -> Issuer | None:
        return self.by_kid.get(kid)

    def to_cbor(self) -> dict[str, Any]:
        return {
            "type": TRUST_LIST_TYPE,
            "seq": self.seq,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "issuers": [issuer.to_cbor() for issuer in self.issuers],
            "revoked_credentials": sorted(self.revoked_credentials),
            "revoked_members": sorted(self.revoked_members),
            "revoked_vouchers": sorted(self.revoked_vouchers),
            "max_token_age_s": self.max_token_age_s,
            "max_clock_skew_s": self.max_clock_skew_s,
        }


def sign_trust_list(trust_list: TrustList, root_key: SigningKey) -> bytes:
    """The COSE_Sign1 bytes of ``trust_list``, signed by the root key (with its kid)."""
    return cose.sign1(cbor.encode(trust_list.to_cbor()), root_key, with_kid=True)


def open_trust_list(data: bytes, root_public_key: bytes) -> TrustList:
    """Verify ``data`` against the pinned root key and return the trust list."""
    try:
        sign1 = cose.parse_sign1(data)
    except cose.MalformedCOSE as exc:
        raise TrustListInvalid(f"trust list is not a COSE_Sign1: {exc}") from None
    if sign1.alg != cose.ALG_EDDSA or type(sign1.alg) is not int:
        raise TrustListInvalid("trust list is not signed with EdDSA")
    if sign1.kid is not None and sign1.kid != ed25519.key_id(root_public_key):
        raise TrustListInvalid("trust list names another root key (kid mismatch)")
    if not sign1.verify(root_public_key):
        raise TrustListInvalid("trust list signature does not verify against the root key")
    try:
        return _parse_payload(cbor.decode(sign1.payload))
    except (cbor.CBORError, KeyError, TypeError, ValueError) as exc:
        raise TrustListInvalid(f"trust list payload is not valid: {exc}") from None


def check_rollback(new: TrustList, installed_seq: int | None) -> None:
    """Refuse a list whose seq is lower than the installed one (equal is a no-op refresh)."""
    if installed_seq is not None and new.seq < installed_seq:
        raise TrustListRollback(f"trust list seq {new.seq} is older than installed {installed_seq}")


def _uint(m: dict[str, Any], key: str) -> int:
    value = m[key]
    if type(value) is not int or not 0 <= value <= MAX_UINT:
        raise ValueError(f"{key} must be an unsigned integer below 2**63")
    return value


def _ids(m: dict[str, Any], key: str) -> frozenset[bytes]:
    value = m.get(key, [])
    if not isinstance(value, list) or any(type(v) is not bytes for v in value):
        raise ValueError(f"{key} must be a list of byte strings")
    return frozenset(value)


def _issuer(m: Any) -> Issuer:
    if not isinstance(m, dict):
        raise ValueError("an issuer entry must be a map")
    key, kid, caisse = m["key"], m["kid"], m["caisse"]
    if type(key) is not bytes or len(key) != ed25519.PUBLIC_KEY_BYTES:
        raise ValueError("issuer key must be 32 bytes")
    if type(kid) is not bytes or kid != ed25519.key_id(key):
        raise ValueError("issuer kid does not match its key")
    if type(caisse) is not str:
        raise ValueError("issuer caisse must be text")
    return Issuer(caisse, kid, key, _uint(m, "not_before"), _uint(m, "not_after"))


def _parse_payload(m: Any) -> TrustList:
    if not isinstance(m, dict) or m.get("type") != TRUST_LIST_TYPE:
        raise ValueError('payload type is not "trust-list"')
    issuers = m["issuers"]
    if not isinstance(issuers, list):
        raise ValueError("issuers must be a list")
    return TrustList(
        seq=_uint(m, "seq"),
        issued_at=_uint(m, "issued_at"),
        expires_at=_uint(m, "expires_at"),
        issuers=tuple(_issuer(i) for i in issuers),
        revoked_credentials=_ids(m, "revoked_credentials"),
        revoked_members=_ids(m, "revoked_members"),
        revoked_vouchers=_ids(m, "revoked_vouchers"),
        max_token_age_s=_uint(m, "max_token_age_s"),
        max_clock_skew_s=_uint(m, "max_clock_skew_s"),
    )

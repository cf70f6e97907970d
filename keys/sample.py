"""A throw-away caisse that mints real SSA1 objects: for tests, benchmarks and demos.

Everything here is produced by the real encoders and signed with fresh keys;
nothing is faked. It never touches a disk or a clock (``now`` is passed in).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from nacl.signing import SigningKey

from . import ed25519, tokens
from .b64url import b64url_encode
from .trust_list import Issuer, TrustList, sign_trust_list

DAY = 86_400


def key_with_leading_dash() -> SigningKey:
    """A key whose base64url public key begins with '-' (one in 64 do).

    Command lines must take such keys as readily as any other; tests use this
    one instead of waiting for a random key to trip over it.
    """
    while True:
        key = SigningKey.generate()
        if b64url_encode(bytes(key.verify_key)).startswith("-"):
            return key


@dataclass
class SampleMember:
    """A member's wallet state: key, credential, and the next seq/cum to use."""

    key: SigningKey
    sub: bytes
    credential: bytes
    allowance_cents: int
    seq: int = 0
    cumulative_cents: int = 0

    def pay(self, amount_cents: int, *, iat: int, aud: str | None = None) -> str:
        """The QR text of this member's next payment (advances seq and cum)."""
        self.seq += 1
        self.cumulative_cents += amount_cents
        cose = tokens.encode_payment(
            credential_cose=self.credential,
            amount_cents=amount_cents,
            seq=self.seq,
            cumulative_cents=self.cumulative_cents,
            iat=iat,
            member_key=self.key,
            aud=aud,
        )
        return tokens.to_qr(cose)


@dataclass
class SampleCaisse:
    """A caisse with a root key and one issuer key, valid around ``now``."""

    now: int
    caisse_id: str = "be-test-caisse"
    root_key: SigningKey = field(default_factory=SigningKey.generate)
    issuer_key: SigningKey = field(default_factory=SigningKey.generate)
    seq: int = 1

    @property
    def root_public_key(self) -> bytes:
        return ed25519.public_key_of(self.root_key)

    def issuer(self) -> Issuer:
        key = ed25519.public_key_of(self.issuer_key)
        return Issuer(
            self.caisse_id, ed25519.key_id(key), key, self.now - 60 * DAY, self.now + 60 * DAY
        )

    def trust_list(self, **overrides: object) -> TrustList:
        fields: dict[str, Any] = {
            "seq": self.seq,
            "issued_at": self.now - 3600,
            "expires_at": self.now + 7 * DAY,
            "issuers": (self.issuer(),),
        }
        fields.update(overrides)
        return TrustList(**fields)

    def signed_trust_list(self, **overrides: object) -> bytes:
        return sign_trust_list(self.trust_list(**overrides), self.root_key)

    def member(self, allowance_cents: int = 15_000) -> SampleMember:
        key = SigningKey.generate()
        sub = os.urandom(8)
        credential = tokens.encode_credential(
            iss=self.caisse_id,
            sub=sub,
            cti=os.urandom(8),
            nbf=self.now - 10 * DAY,
            exp=self.now + 20 * DAY,
            allowance_cents=allowance_cents,
            member_public_key=ed25519.public_key_of(key),
            issuer_key=self.issuer_key,
        )
        return SampleMember(key, sub, credential, allowance_cents)

    def voucher(self, amount_cents: int = 1_000, *, sub: bytes | None = None) -> str:
        cose = tokens.encode_voucher(
            iss=self.caisse_id,
            cti=os.urandom(8),
            amount_cents=amount_cents,
            nbf=self.now - DAY,
            exp=self.now + 30 * DAY,
            issuer_key=self.issuer_key,
            sub=sub,
        )
        return tokens.to_qr(cose)

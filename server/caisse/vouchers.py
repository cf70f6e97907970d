"""Paper vouchers (SPEC typ 3) for members without a smartphone, signed by the issuer key.

Each voucher gets a random cti, kept in ``vouchers`` so it can be revoked
(it then goes into the trust list's ``revoked_vouchers``) and reported; a
voucher redeemed at two shops is a reconciliation finding.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from keys import tokens
from server.caisse.keyring import KeyRing
from server.config import DAY, Config
from server.errors import DomainError
from server.storage.core import MEMBER_REVOKED, Storage

CTI_BYTES = 16
MAX_COUNT = 1000
MAX_CENTS = 1_000_000


@dataclass(frozen=True, slots=True)
class Voucher:
    """One signed paper voucher; ``qr`` is the text to print as its QR code."""

    voucher_id: str  # the cti, hex
    amount_cents: int
    member_id: str | None
    nbf: int
    exp: int
    qr: str


class VoucherError(DomainError):
    """The vouchers cannot be issued as asked; the message says why."""

    code = "INVALID_VOUCHER"


async def issue_vouchers(
    storage: Storage,
    config: Config,
    keyring: KeyRing,
    *,
    amount_cents: int,
    count: int = 1,
    member_id: str | None = None,
    valid_days: int = 31,
    now: int,
) -> list[Voucher]:
    """Sign ``count`` vouchers of ``amount_cents``; their QR texts, to print."""
    if not 1 <= amount_cents <= MAX_CENTS:
        raise VoucherError(f"amount must be 1 to {MAX_CENTS} cents")
    if not 1 <= count <= MAX_COUNT:
        raise VoucherError(f"count must be 1 to {MAX_COUNT}")
    if not 1 <= valid_days <= 366:
        raise VoucherError("validity must be 1 to 366 days")
    out = []
    async with storage.transaction() as q:
        sub = None
        if member_id is not None:
            member = await q.member(member_id)
            if member is None:
                raise VoucherError(f"no member {member_id!r:.40}")
            if member["status"] == MEMBER_REVOKED:
                raise VoucherError(f"member {member_id} is revoked")
            sub = bytes(member["sub"])
        active = await q.active_issuer_key()
        if active is None:
            raise VoucherError("the caisse has no active issuer key")
        kid = bytes(active["kid"])
        key = keyring.issuer_for(kid, active["file"])
        exp = now + valid_days * DAY
        for _ in range(count):
            cti = secrets.token_bytes(CTI_BYTES)
            cose = tokens.encode_voucher(
                iss=config.caisse,
                cti=cti,
                amount_cents=amount_cents,
                nbf=now,
                exp=exp,
                issuer_key=key,
                sub=sub,
            )
            await q.ledger.insert_voucher(cti, amount_cents, now, exp, member_id, kid, now)
            out.append(Voucher(cti.hex(), amount_cents, member_id, now, exp, tokens.to_qr(cose)))
    return out

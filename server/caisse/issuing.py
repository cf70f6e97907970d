"""Allowance credentials: one per member, per calendar month, per wallet key.

Asking again returns the credential already issued (same cti), so a wallet that
retries never holds two allowances for one month. A wallet re-activated on a
new phone gets a new credential whose allowance is what is left after the
payments already received on the old one; the old credentials are revoked.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from zoneinfo import ZoneInfo

from nacl.signing import SigningKey

from keys import tokens
from server.caisse.channels import wallet_allowance
from server.caisse.keyring import KeyRing
from server.config import Config
from server.errors import DomainError
from server.periods import periods_to_issue
from server.storage.core import Queries

CTI_BYTES = 16
MEMBER_LOCK_BASE = 7_710_000_000


class IssuingError(DomainError):
    """No credential can be issued now (e.g. no active issuer key)."""

    code = "CANNOT_ISSUE"


def member_lock(member_id: str) -> int:
    return MEMBER_LOCK_BASE + int.from_bytes(hashlib.sha256(member_id.encode()).digest()[:4])


async def _issuer(q: Queries, keyring: KeyRing) -> tuple[bytes, SigningKey]:
    row = await q.active_issuer_key()
    if row is None:
        raise IssuingError("the caisse has no active issuer key")
    kid = bytes(row["kid"])
    return kid, keyring.issuer_for(kid, row["file"])


async def allowance_for(q: Queries, config: Config, period: str) -> int:
    """The month's flat allowance: as the members last decided for it (a rule change),
    else the caisse's configured one (``households.member_allowance`` applies it)."""
    decided = await q.democracy.rule_in_force("allowance", period)
    return config.allowance_cents if decided is None else int(json.loads(decided))


async def credentials_for(
    q: Queries,
    config: Config,
    keyring: KeyRing,
    *,
    member_id: str,
    sub: bytes,
    public_key: bytes,
    now: int,
) -> list[bytes]:
    """COSE credentials for the current period (and the next, near a month's end).

    Runs inside a transaction; concurrent calls for one member are serialized.
    """
    await q.db.lock(q.conn, member_lock(member_id))
    out: list[bytes] = []
    issuer: tuple[bytes, SigningKey] | None = None
    for period in periods_to_issue(now, ZoneInfo(config.timezone), config.renewal_days):
        existing = [
            row
            for row in await q.credentials_of(member_id, period.name)
            if bytes(row["member_public_key"]) == public_key
        ]
        if existing:
            out.append(bytes(existing[-1]["cose"]))
            continue
        if issuer is None:
            issuer = await _issuer(q, keyring)
        kid, key = issuer
        granted = await wallet_allowance(q, config, member_id, period.name, now=now)
        allowance = max(0, granted - await q.spent_in_period(member_id, period.name))
        cti = secrets.token_bytes(CTI_BYTES)
        cose = tokens.encode_credential(
            iss=config.caisse,
            sub=sub,
            cti=cti,
            nbf=period.nbf,
            exp=period.exp,
            allowance_cents=allowance,
            member_public_key=public_key,
            issuer_key=key,
        )
        await q.insert_credential(
            cti=cti,
            member_id=member_id,
            period=period.name,
            nbf=period.nbf,
            exp=period.exp,
            allowance_cents=allowance,
            issuer_kid=kid,
            member_public_key=public_key,
            cose=cose,
            now=now,
        )
        out.append(cose)
    return out

"""The trust list the caisse publishes: built from the database, signed by the root key.

A new list (seq + 1) is signed inside the transaction that changes what it
says (revocation, key rotation, re-activation) and at least every
``trust_list_refresh_s``. Every signed list is kept: batch intake judges each
scan against the list that was in force when it was scanned.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from nacl.signing import SigningKey

from keys import trust_list as tl
from server.config import DAY, Config
from server.db.seam import Row
from server.periods import period_at
from server.storage.core import Queries, Storage

log = logging.getLogger("ssa.trust")
REVOKED_MEMBER_HORIZON_S = 62 * DAY  # their last credentials have expired by then


@dataclass(frozen=True, slots=True)
class SignedList:
    seq: int
    issued_at: int
    expires_at: int
    body: bytes

    @property
    def etag(self) -> str:
        return f'"tl-{self.seq}"'


def issuer_not_after(config: Config, ts: int) -> int:
    """End of the last credential an issuer key may have signed by ``ts``: next month's end."""
    tz = ZoneInfo(config.timezone)
    return period_at(ts, tz).next(tz).exp


async def sign_new_list(
    q: Queries, config: Config, root: SigningKey, now: int, reason: str
) -> SignedList:
    """Sign and store the next trust list from the current state (inside a transaction)."""
    await q.lock_trust_list()
    latest = await q.latest_trust_list()
    seq = latest["seq"] + 1 if latest else 1
    issued_at = max(now, latest["issued_at"]) if latest else now
    expires_at = issued_at + config.trust_list_validity_s
    issuers = []
    for row in await q.issuer_keys():
        not_after = row["not_after"]
        if row["retired_at"] is None:
            not_after = issuer_not_after(config, expires_at)
        if not_after <= issued_at:
            continue  # every credential it signed has expired
        issuers.append(
            tl.Issuer(
                config.caisse,
                bytes(row["kid"]),
                bytes(row["public_key"]),
                row["not_before"],
                not_after,
            )
        )
    trust_list = tl.TrustList(
        seq=seq,
        issued_at=issued_at,
        expires_at=expires_at,
        issuers=tuple(issuers),
        revoked_credentials=frozenset(bytes(c) for c in await q.revoked_credential_ctis(issued_at)),
        revoked_members=frozenset(
            bytes(s) for s in await q.revoked_member_subs(issued_at - REVOKED_MEMBER_HORIZON_S)
        ),
        revoked_vouchers=frozenset(await q.ledger.revoked_voucher_ctis(issued_at)),
        max_token_age_s=config.max_token_age_s,
        max_clock_skew_s=config.max_clock_skew_s,
    )
    body = tl.sign_trust_list(trust_list, root)
    await q.insert_trust_list(seq, issued_at, expires_at, reason, body)
    log.info("trust list signed", extra={"seq": seq, "reason": reason})
    return SignedList(seq, issued_at, expires_at, body)


class TrustLists:
    """The published list (re-signed when stale) and the history, for batch intake."""

    def __init__(
        self,
        storage: Storage,
        config: Config,
        root_public_key: bytes,
        root: SigningKey | None = None,
    ) -> None:
        self.storage = storage
        self.config = config
        self.root_public_key = root_public_key
        self.root = root
        self._parsed: dict[int, tl.TrustList] = {}

    def is_stale(self, current: SignedList | None, now: int) -> bool:
        return current is None or now - current.issued_at >= self.config.trust_list_refresh_s

    async def current(self, now: int) -> SignedList | None:
        """The latest list; a fresh one is signed first when it is a day old (or missing)."""
        async with self.storage.read() as q:
            row = await q.latest_trust_list()
        current = _signed(row)
        if self.is_stale(current, now) and self.root is not None:
            current = await self.resign(now, "refresh", only_if_stale=True)
        return current

    async def resign(self, now: int, reason: str, *, only_if_stale: bool = False) -> SignedList:
        if self.root is None:
            raise RuntimeError("the root key is not loaded")
        async with self.storage.transaction() as q:
            if only_if_stale:
                await q.lock_trust_list()
                latest = _signed(await q.latest_trust_list())
                if latest is not None and not self.is_stale(latest, now):
                    return latest  # another worker refreshed it meanwhile
            return await sign_new_list(q, self.config, self.root, now, reason)

    async def in_force(self, instants: set[int]) -> dict[int, tuple[int, tl.TrustList]]:
        """For each instant, the (seq, list) in force then: the latest issued at or before it.

        An instant before the first list gets the first list (its issuer keys were
        not yet valid then, so the verifier refuses the token on its own terms).
        """
        async with self.storage.read() as q:
            index = await q.trust_list_index()
        if not index:
            return {}
        issued = [issued_at for _, issued_at in index]
        out: dict[int, tuple[int, tl.TrustList]] = {}
        for instant in instants:
            pos = max(bisect.bisect_right(issued, instant) - 1, 0)
            seq = index[pos][0]
            out[instant] = (seq, await self._parse(seq))
        return out

    async def windows(self) -> list[tuple[int, int, int]]:
        """(seq, issued_at, expires_at) of every list this server signed, in seq order."""
        async with self.storage.read() as q:
            return await q.trust_list_windows()

    async def parsed(self, seq: int) -> tl.TrustList:
        """The list of this seq as signed (verified against the root key once, cached)."""
        return await self._parse(seq)

    async def _parse(self, seq: int) -> tl.TrustList:
        cached = self._parsed.get(seq)
        if cached is None:
            async with self.storage.read() as q:
                body = await q.trust_list_body(seq)
            if body is None:
                raise LookupError(f"trust list {seq} is indexed but not stored")
            cached = tl.open_trust_list(bytes(body), self.root_public_key)
            if len(self._parsed) > 1000:
                self._parsed.clear()
            self._parsed[seq] = cached
        return cached


def _signed(row: Row | None) -> SignedList | None:
    if row is None:
        return None
    return SignedList(row["seq"], row["issued_at"], row["expires_at"], bytes(row["body"]))

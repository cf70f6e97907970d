"""Batch intake: a shop's scans, verified by the server itself, stored in one transaction.

Every token is checked with ``keys.verify.verify_qr`` at ``now = scanned_at``
against the trust list in force at that instant; the scanner's own verdict is
kept but never trusted. Cross-shop rule 13 is reconciliation's job, so each
token is verified with an empty journal here; everything reconciliation needs
(token bytes, ids, seq, amounts, member, merchant, batch, times) is stored.

Idempotent: a batch id seen before, or a token (accepted or rejected) seen in
any earlier batch, changes nothing and is counted in ``duplicates``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from keys.tokens import CredentialCache, Payment, Voucher
from keys.trust_list import TrustList
from keys.verify import MemoryJournal, ResultCode, VerifyResult, verify_qr
from server.caisse.trust import TrustLists
from server.config import Config
from server.storage.core import ScanRow, Storage

log = logging.getLogger("ssa.intake")
SCAN_IN_FUTURE = "SCAN_IN_FUTURE"
SCAN_TOO_OLD = "SCAN_TOO_OLD"
MERCHANT_WITHDRAWN = "MERCHANT_WITHDRAWN"


@dataclass(frozen=True, slots=True)
class Scan:
    qr: str
    scanned_at: int
    result: str | None


@dataclass(frozen=True, slots=True)
class BatchResult:
    batch_id: str
    received: int
    duplicates: int
    rejected: int

    def to_json(self) -> dict[str, object]:
        return {
            "batch_id": self.batch_id,
            "received": self.received,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
        }


class _AlreadyStored(Exception):
    """A concurrent upload of the same batch committed first."""


class Intake:
    """Verifies and stores batches; owns the long-lived credential cache."""

    def __init__(self, storage: Storage, trust_lists: TrustLists, config: Config) -> None:
        self.storage = storage
        self.trust_lists = trust_lists
        self.config = config
        self.credentials = CredentialCache(max_entries=20_000)
        # One worker: the cache is not thread-safe, and the event loop stays free.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ssa-verify")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def receive(
        self, *, merchant_id: str, device_key: bytes, batch_id: str, scans: list[Scan], now: int
    ) -> BatchResult:
        all_duplicates = BatchResult(batch_id, 0, len(scans), 0)
        async with self.storage.read() as q:
            if await q.batch(merchant_id, batch_id) is not None:
                return all_duplicates
            withdrawn_from = await q.democracy.withdrawn_from(merchant_id)
        lists = await self.trust_lists.in_force({s.scanned_at for s in scans})
        loop = asyncio.get_running_loop()
        rows = await loop.run_in_executor(
            self._executor, self._verify_all, scans, lists, merchant_id, now, withdrawn_from
        )
        try:
            async with self.storage.transaction() as q:
                if await q.batch(merchant_id, batch_id) is not None:
                    raise _AlreadyStored
                known = await q.existing_scan_keys([r.scan_key for r in rows])
                fresh: dict[bytes, ScanRow] = {}
                for row in rows:
                    if row.scan_key not in known and row.scan_key not in fresh:
                        fresh[row.scan_key] = row
                received = sum(1 for r in fresh.values() if r.status == "accepted")
                rejected = len(fresh) - received
                result = BatchResult(batch_id, received, len(scans) - len(fresh), rejected)
                await q.insert_scans(merchant_id, batch_id, now, fresh.values())
                # A token another shop sent first is still a receipt of this shop
                # (a copied QR, a voucher used twice): reconciliation judges it.
                # Only a token stored before this batch can be another shop's.
                earlier = [r for r in rows if r.status == "accepted" and r.scan_key in known]
                await q.ledger.record_copies(merchant_id, batch_id, now, earlier)
                counts = (len(scans), received, result.duplicates, rejected)
                if not await q.insert_batch(merchant_id, batch_id, device_key, now, counts):
                    raise _AlreadyStored
        except _AlreadyStored:
            return all_duplicates
        log.info(
            "batch received",
            extra={
                "merchant_id": merchant_id,
                "batch_id": batch_id,
                "scans": len(scans),
                "received": received,
                "duplicates": result.duplicates,
                "rejected": rejected,
            },
        )
        return result

    def _verify_all(
        self,
        scans: list[Scan],
        lists: dict[int, tuple[int, TrustList]],
        merchant_id: str,
        now: int,
        withdrawn_from: int | None = None,
    ) -> list[ScanRow]:
        return [
            self._verify_one(s, lists.get(s.scanned_at), merchant_id, now, withdrawn_from)
            for s in scans
        ]

    def _verify_one(
        self,
        scan: Scan,
        in_force: tuple[int, TrustList] | None,
        merchant_id: str,
        now: int,
        withdrawn_from: int | None = None,
    ) -> ScanRow:
        seq: int | None = None
        if in_force is None:
            result = VerifyResult(ResultCode.TRUST_LIST_INVALID, "no trust list published yet")
        else:
            seq, trust_list = in_force
            result = verify_qr(
                scan.qr,
                trust_list=trust_list,
                merchant_id=merchant_id,
                now=scan.scanned_at,
                journal=MemoryJournal(),
                credentials=self.credentials,
            )
        code, message = str(result.code), result.message
        skew = self.config.max_clock_skew_s
        if scan.scanned_at > now + skew:
            code, message = (
                SCAN_IN_FUTURE,
                f"scanned_at {scan.scanned_at} is after server time {now}",
            )
        elif scan.scanned_at < now - self.config.max_scan_age_s:
            code, message = (
                SCAN_TOO_OLD,
                (f"scanned_at {scan.scanned_at} is older than {self.config.max_scan_age_s} s"),
            )
        elif withdrawn_from is not None and scan.scanned_at >= withdrawn_from and code == "OK":
            code, message = (
                MERCHANT_WITHDRAWN,
                f"the members withdrew this shop's approval from {withdrawn_from}",
            )
        return _row(scan, result, code, message, seq)


def safe_text(text: str) -> str:
    """ASCII with escapes: storable in any TEXT column (no NUL, no lone surrogate)."""
    return text.encode("ascii", "backslashreplace").decode("ascii").replace("\x00", "\\x00")


def _row(scan: Scan, result: VerifyResult, code: str, message: str, seq: int | None) -> ScanRow:
    accepted = code == "OK"
    token = result.token
    kind = cti = sub = aud = None
    amount = cum = tseq = iat = None
    cose = result.cose  # decoded once, by the verifier
    if isinstance(token, Payment):
        kind, cti, sub, aud = "payment", token.credential.cti, token.credential.sub, token.aud
        amount, cum, tseq, iat = (token.amount_cents, token.cumulative_cents, token.seq, token.iat)
    elif isinstance(token, Voucher):
        kind, cti, sub, amount = "voucher", token.cti, token.sub, token.amount_cents
    # The QR text is kept (escaped) only for a token that could not be read.
    qr = None if result.token_id is not None and cose is not None else safe_text(scan.qr.strip())
    scan_key = result.token_id or hashlib.sha256(b"qr:" + str(qr).encode()).digest()
    return ScanRow(
        scan_key=scan_key,
        token_id=result.token_id,
        status="accepted" if accepted else "rejected",
        code=code,
        message=safe_text(message[:500]),
        kind=kind,
        token=cose,
        qr=None if cose is not None else qr,
        cti=cti,
        member_sub=sub,
        seq=tseq,
        amount_cents=amount,
        cumulative_cents=cum,
        iat=iat,
        aud=None if aud is None else safe_text(aud),
        scanned_at=scan.scanned_at,
        trust_list_seq=seq,
        scanner_result=scan.result,
    )

"""Batch intake: a shop's scans, verified by the server itself, stored in one transaction.

Every token is checked with ``keys.verify.verify_qr``; the scanner's own verdict
is kept but never trusted. Which trust list judges a scan, and at which instant,
is SPEC 1.1 §8 (``server.ledger.trust_choice``): the list the till reported
when the server can believe it, else the list in force at ``scanned_at``, and
the upload time for a scan older than the till's previous upload. Cross-shop
rule 13 is reconciliation's job, so each token is verified with an empty
journal here; everything reconciliation needs is stored.

What the answer counts, token by token (``scan_key`` = the token's id):

- a new token: ``received`` (accepted) or ``rejected`` (kept with its reason);
- a token this shop already sent, or refused for what it is (bad signature,
  over its allowance…): ``duplicates``, nothing changes;
- a token ANOTHER shop sent first and this shop's till accepted too: a copy,
  kept as this shop's receipt for the caisse's review (never paid automatically),
  counted in ``duplicates``; refused for this shop, its refusal is kept:
  ``rejected``;
- a token refused before for its upload (scan time, trust list, shop): judged
  afresh — accepted now, the new verdict replaces the refusal (``received``;
  the old refusal stays in ``scan_refusals``).

Counted from what the database really inserted (``INSERT … RETURNING``), so two
shops uploading one token at once are one ``received`` and one copy, on
PostgreSQL as on SQLite. A batch id seen before with the same scans is all
``duplicates``; with other scans it is ``409 BATCH_ID_REUSED``. One token that
breaks the verifier is refused on its own; it never fails the batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from keys.tokens import CredentialCache, Payment, Voucher
from keys.trust_list import TrustList
from keys.verify import (
    MemoryJournal,
    Refusal,
    ResultCode,
    VerifyResult,
    step_8_revocation,
    verify_qr,
)
from server.caisse.trust import TrustLists
from server.config import Config
from server.errors import Conflict
from server.ledger.trust_choice import Choice, ListInfo, TillHistory, choose
from server.storage.core import Queries, ScanRow, Storage

log = logging.getLogger("ssa.intake")
SCAN_IN_FUTURE = "SCAN_IN_FUTURE"
SCAN_TOO_OLD = "SCAN_TOO_OLD"
VERIFY_ERROR = "VERIFY_ERROR"
MERCHANT_WITHDRAWN = "MERCHANT_WITHDRAWN"
# Refusals that depend on nothing but the token's bytes: the same token is refused the
# same way whenever and by whomever it comes again, so it is a duplicate then. Every
# other refusal (scan time, trust list, shop) is judged afresh on the next upload.
FINAL_CODES = tuple(
    str(c)
    for c in (
        ResultCode.MALFORMED,
        ResultCode.UNSUPPORTED_ALG,
        ResultCode.WRONG_TYPE,
        ResultCode.BAD_SIGNATURE,
        ResultCode.INVALID_AMOUNT,
        ResultCode.OVER_ALLOWANCE,
    )
)
_SAVE_TRIES = 5


@dataclass(frozen=True, slots=True)
class Scan:
    qr: str
    scanned_at: int
    result: str | None
    trust_list_seq: int | None = None


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


class BatchIdReused(Conflict):
    """This batch id was received before with other scans."""

    code = "BATCH_ID_REUSED"


class _AlreadyStored(Exception):
    """A concurrent upload of the same batch id committed first."""


class _TillMoved(Exception):
    """Another upload of the same till committed meanwhile: judge again with its history."""


def content_digest(scans: Sequence[Scan]) -> bytes:
    """What a batch id stands for: its scans, in order, as received."""
    doc = [[s.qr, s.scanned_at, s.result, s.trust_list_seq] for s in scans]
    return hashlib.sha256(json.dumps(doc, separators=(",", ":")).encode()).digest()


@dataclass(slots=True)
class _Counts:
    received: int = 0
    duplicates: int = 0
    rejected: int = 0


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
        digest = content_digest(scans)
        async with self.storage.read() as q:
            stored = await q.intake.batch_content(merchant_id, batch_id)
        if stored is not None:
            return _again(batch_id, scans, stored, digest)
        for _ in range(_SAVE_TRIES):
            history = await self._history(device_key, scans)
            rows, signed = await self._judge(scans, history, merchant_id, now)
            try:
                result = await self._store(
                    merchant_id, device_key, batch_id, scans, rows, history, signed, digest, now
                )
            except _AlreadyStored:
                async with self.storage.read() as q:
                    stored = await q.intake.batch_content(merchant_id, batch_id)
                return _again(batch_id, scans, stored or b"", digest)
            except _TillMoved:
                continue
            log.info(
                "batch received",
                extra={
                    "merchant_id": merchant_id,
                    "batch_id": batch_id,
                    "scans": len(scans),
                    "received": result.received,
                    "duplicates": result.duplicates,
                    "rejected": result.rejected,
                },
            )
            return result
        raise RuntimeError(f"batch {batch_id}: the till's history kept moving; try again")

    # -- judging -------------------------------------------------------------------------

    async def _history(self, device_key: bytes, scans: list[Scan]) -> TillHistory:
        claimed = [s.trust_list_seq for s in scans if s.trust_list_seq is not None]
        async with self.storage.read() as q:
            till = await q.intake.till(device_key)
            reported = await q.intake.till_reports(device_key, min(claimed)) if claimed else []
        if till is None:
            return TillHistory(reported=tuple(reported))
        return TillHistory(till["last_upload_at"], till["last_scan_at"], tuple(reported))

    async def _judge(
        self, scans: list[Scan], history: TillHistory, merchant_id: str, now: int
    ) -> tuple[list[ScanRow], set[int]]:
        """Each scan's stored row, and the seqs of every list this server signed."""
        index = [ListInfo(*w) for w in await self.trust_lists.windows()]
        async with self.storage.read() as q:  # the members withdrew the shop from a date on
            withdrawn_from = await q.democracy.withdrawn_from(merchant_id)
        choices = choose(
            [(s.scanned_at, s.trust_list_seq) for s in scans],
            index=index,
            history=history,
            now=now,
            max_clock_skew_s=self.config.max_clock_skew_s,
        )
        wanted = {c.seq for c in choices} | {c.in_force_seq for c in choices}
        lists = {seq: await self.trust_lists.parsed(seq) for seq in wanted if seq is not None}
        loop = asyncio.get_running_loop()
        rows = await loop.run_in_executor(
            self._executor,
            self._verify_all,
            scans,
            choices,
            lists,
            merchant_id,
            now,
            withdrawn_from,
        )
        return rows, {i.seq for i in index}

    def _verify_all(
        self,
        scans: list[Scan],
        choices: list[Choice],
        lists: dict[int, TrustList],
        merchant_id: str,
        now: int,
        withdrawn_from: int | None = None,
    ) -> list[ScanRow]:
        rows = []
        for scan, choice in zip(scans, choices, strict=True):
            try:
                rows.append(self._verify_one(scan, choice, lists, merchant_id, now, withdrawn_from))
            except Exception:  # one token that breaks the verifier never fails a batch
                log.exception("verifier error", extra={"merchant_id": merchant_id})
                failed = VerifyResult(ResultCode.MALFORMED, "")
                rows.append(
                    _row(scan, failed, VERIFY_ERROR, "the server could not verify this token",
                         choice, None)
                )  # fmt: skip
        return rows

    def _verify_one(
        self,
        scan: Scan,
        choice: Choice,
        lists: dict[int, TrustList],
        merchant_id: str,
        now: int,
        withdrawn_from: int | None = None,
    ) -> ScanRow:
        revoked_by: int | None = None
        if choice.seq is None:
            result = VerifyResult(ResultCode.TRUST_LIST_INVALID, "no trust list published yet")
        else:
            result = verify_qr(
                scan.qr,
                trust_list=lists[choice.seq],
                merchant_id=merchant_id,
                now=choice.at,
                journal=MemoryJournal(),
                credentials=self.credentials,
            )
        code, message = str(result.code), result.message
        if result.ok and choice.in_force_seq is not None and result.token is not None:
            try:
                step_8_revocation(result.token, lists[choice.in_force_seq])
            except Refusal as refusal:
                revoked_by = choice.in_force_seq
                message = (
                    f"spent after revocation, before the till knew: {refusal.message} in trust "
                    f"list {revoked_by}; honoured under the till's list {choice.seq}"
                )
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
        elif code != "OK" and choice.why:
            message = f"{message} ({choice.why})"
        return _row(scan, result, code, message, choice, revoked_by)

    # -- storing ---------------------------------------------------------------------------

    async def _store(
        self,
        merchant_id: str,
        device_key: bytes,
        batch_id: str,
        scans: list[Scan],
        rows: list[ScanRow],
        history: TillHistory,
        signed: set[int],
        digest: bytes,
        now: int,
    ) -> BatchResult:
        counts = _Counts()
        unique: dict[bytes, ScanRow] = {}
        for row in rows:
            kept = unique.get(row.scan_key)
            if kept is None:
                unique[row.scan_key] = row
                continue
            counts.duplicates += 1  # twice in this very batch: the accepted one counts
            if kept.status == "rejected" and row.status == "accepted":
                unique[row.scan_key] = row
        ordered = sorted(unique.values(), key=lambda r: r.scan_key)  # one lock order for all
        async with self.storage.transaction() as q:
            if await q.intake.batch_content(merchant_id, batch_id) is not None:
                raise _AlreadyStored
            inserted = await q.insert_scans(merchant_id, batch_id, now, ordered)
            for row in ordered:
                if row.scan_key in inserted:
                    if row.status == "accepted":
                        counts.received += 1
                    else:
                        counts.rejected += 1
            known = [r for r in ordered if r.scan_key not in inserted]
            await _known_tokens(q, merchant_id, batch_id, now, known, counts)
            totals = (len(scans), counts.received, counts.duplicates, counts.rejected)
            if not await q.intake.insert_batch(
                merchant_id, batch_id, device_key, now, totals, digest
            ):
                raise _AlreadyStored
            if scans:
                newest = max(s.scanned_at for s in scans)
                if not await q.intake.save_till(device_key, history.last_upload_at, now, newest):
                    raise _TillMoved
                firsts: dict[int, int] = {}
                for row in rows:
                    if row.till_list_seq in signed:  # a seq it made up says nothing
                        seq, at = int(row.till_list_seq), row.scanned_at
                        firsts[seq] = min(firsts.get(seq, at), at)
                await q.intake.report_lists(device_key, firsts)
        return BatchResult(batch_id, counts.received, counts.duplicates, counts.rejected)


async def _known_tokens(
    q: Queries,
    merchant_id: str,
    batch_id: str,
    now: int,
    rows: list[ScanRow],
    counts: _Counts,
) -> None:
    """Tokens already stored (by an earlier batch, or a concurrent one just committed)."""
    if not rows:
        return
    stored = await q.intake.stored_verdicts([r.scan_key for r in rows])
    copies: list[ScanRow] = []
    refusals: list[ScanRow] = []
    for row in rows:
        old = stored[row.scan_key]
        if old["status"] == "rejected" and old["code"] not in FINAL_CODES:
            if row.status == "accepted":
                if await q.intake.supersede(row, merchant_id, batch_id, now, FINAL_CODES):
                    counts.received += 1
                    continue
                old = (await q.intake.stored_verdicts([row.scan_key]))[row.scan_key]
            elif (old["merchant_id"], old["code"], old["scanned_at"]) == (
                merchant_id,
                row.code,
                row.scanned_at,
            ):
                counts.duplicates += 1  # the same refusal again
                continue
            else:
                refusals.append(row)
                counts.rejected += 1
                continue
        if old["status"] == "accepted" and old["merchant_id"] != merchant_id:
            if row.status == "accepted":
                copies.append(row)  # another shop's token: a receipt for review
                counts.duplicates += 1
            else:
                refusals.append(row)
                counts.rejected += 1
            continue
        counts.duplicates += 1  # this shop's own token again, or refused for what it is
    await q.ledger.record_copies(merchant_id, batch_id, now, copies)
    await q.intake.insert_refusals(merchant_id, batch_id, now, refusals)


def _again(batch_id: str, scans: list[Scan], stored: bytes, digest: bytes) -> BatchResult:
    """A batch id received before: all duplicates with the same scans, else refused."""
    if stored and stored != digest:
        raise BatchIdReused(
            f"batch id {batch_id!r} was received before with other scans; "
            "a new batch needs a new id"
        )
    return BatchResult(batch_id, 0, len(scans), 0)


def safe_text(text: str) -> str:
    """ASCII with escapes: storable in any TEXT column (no NUL, no lone surrogate)."""
    return text.encode("ascii", "backslashreplace").decode("ascii").replace("\x00", "\\x00")


def _row(
    scan: Scan,
    result: VerifyResult,
    code: str,
    message: str,
    choice: Choice,
    revoked_by: int | None,
) -> ScanRow:
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
        trust_list_seq=choice.seq,
        scanner_result=scan.result,
        till_list_seq=scan.trust_list_seq,
        judged_by=choice.basis,
        revoked_by_seq=revoked_by if accepted else None,
    )


__all__ = [
    "FINAL_CODES",
    "SCAN_IN_FUTURE",
    "SCAN_TOO_OLD",
    "BatchIdReused",
    "BatchResult",
    "Intake",
    "Scan",
    "content_digest",
]

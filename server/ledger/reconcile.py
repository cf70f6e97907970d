"""Nightly reconciliation: cross-shop fraud findings, then one settlement with payouts per shop.

``reconcile()`` runs in ONE database transaction behind the reconcile lock:
a crash rolls everything back, a concurrent run waits for this one and then
finds nothing left to settle, and a re-run settles only what is new. The
ledger's unique index pays a receipt (token, shop) at most once whatever
the code does. Receipts are streamed one chunk of credentials at a time, so
memory stays bounded whatever the number of payments.

Policy (``config.settle_conflicts``, ``config.block_on_fraud``, see
docs/reconciliation.md): by default every receipt verified OK at intake is
paid — a shop must be able to trust the scanner's OK — and the member behind
a new finding is blocked in a newly signed trust list.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nacl.signing import SigningKey

from keys import tokens
from server.caisse.trust import sign_new_list
from server.config import Config
from server.errors import DomainError
from server.ledger import detection
from server.ledger.detection import Finding, Receipt
from server.storage.core import MEMBER_REVOKED, Queries, Storage
from server.storage.ledger import CHUNK

Progress = Callable[[int, int], None]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ReconcileError(DomainError):
    """Reconciliation cannot run with these arguments; the message says why."""

    code = "INVALID_RECONCILE"


@dataclass(slots=True)
class ReconcileSummary:
    """What one run did; ``to_json()`` is what ``ssa-admin reconcile`` prints."""

    settlement_id: int | None
    until: int
    policy: dict[str, str]
    payments: int = 0
    total_cents: int = 0
    withheld: int = 0
    withheld_cents: int = 0
    examined: int = 0
    findings_new: int = 0
    findings_updated: int = 0
    double_spends: list[dict[str, Any]] = field(default_factory=list)
    blocked: list[dict[str, str]] = field(default_factory=list)
    payouts: list[dict[str, Any]] = field(default_factory=list)
    trust_list_seq: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def local_midnight(day: date, tz: ZoneInfo) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())


def parse_until(text: str, tz: ZoneInfo) -> int:
    """``YYYY-MM-DD`` → the cut-off: payments scanned up to the END of that local day."""
    if not isinstance(text, str) or not _DATE.fullmatch(text.strip()):
        raise ReconcileError(f"--until must be a date YYYY-MM-DD, not {text!r:.40}")
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ReconcileError(f"--until {text!r:.40}: {exc}") from None
    if day.year < 2000 or day >= date(9999, 12, 31):
        raise ReconcileError(f"--until {text!r:.40} is out of range")
    return local_midnight(day + timedelta(days=1), tz)


def default_until(now: int, tz: ZoneInfo) -> int:
    """Nightly default: everything scanned before today's local midnight (yesterday included)."""
    return local_midnight(datetime.fromtimestamp(now, tz).date(), tz)


def transfer_reference(settlement_id: int, merchant_id: str) -> str:
    """End-to-end id of a payout (≤ 35 SEPA characters), unique per settlement and shop."""
    shop = hashlib.sha256(merchant_id.encode()).hexdigest()[:8].upper()
    return f"SSA-S{settlement_id}-{shop}"


def _receipt(row: Any) -> Receipt:
    return Receipt(
        scan_key=bytes(row["scan_key"]),
        token_id=bytes(row["token_id"]),
        kind=row["kind"],
        cti=bytes(row["cti"]),
        member_sub=None if row["member_sub"] is None else bytes(row["member_sub"]),
        seq=row["seq"] or 0,
        amount_cents=row["amount_cents"],
        cumulative_cents=row["cumulative_cents"] or 0,
        merchant_id=row["merchant_id"],
        scanned_at=row["scanned_at"],
        received_at=row["received_at"],
        settled=row["settlement_id"] is not None,
        paid=bool(row["paid"]),
        is_copy=bool(row["is_copy"]),
        revoked_by=row["revoked_by_seq"],
    )


def _allowance(token: bytes | None, cache: tokens.CredentialCache) -> int | None:
    """The allowance written in the credential the payment embeds (as signed)."""
    if token is None:
        return None
    decoded = tokens.decode_token(token, cache)
    return decoded.credential.allowance_cents if isinstance(decoded, tokens.Payment) else None


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "finding_id": f.finding_id,
        "kind": f.kind,
        "cti": f.cti.hex(),
        "member_id": f.member_sub.hex() if f.member_sub else None,
        "amount_cents": f.amount_cents,
        "merchants": sorted({m for _, m in f.receipts}),
        "summary": f.summary,
    }


class _Run:
    """One reconciliation inside its transaction."""

    def __init__(self, q: Queries, config: Config, summary: ReconcileSummary, now: int):
        self.q, self.config, self.summary, self.now = q, config, summary, now
        self.cache = tokens.CredentialCache(max_entries=CHUNK * 2)
        self.block_member_ids: set[str] = set()

    async def chunk(self, ctis: list[bytes], settlement_id: int, cutoff: int) -> None:
        by_cti: dict[bytes, list[Receipt]] = defaultdict(list)
        for row in await self.q.ledger.receipts_of(ctis):
            by_cti[bytes(row["cti"])].append(_receipt(row))
        firsts = [rs[0].scan_key for rs in by_cti.values() if rs[0].kind == "payment"]
        token_of = await self.q.ledger.tokens(firsts)
        findings: list[Finding] = []
        items: list[tuple[Any, ...]] = []
        scans: list[bytes] = []
        copies: list[tuple[bytes, str]] = []
        for receipts in by_cti.values():
            allowance = _allowance(token_of.get(receipts[0].scan_key), self.cache)
            findings.extend(detection.detect(receipts, allowance))
            policy = self.config.settle_conflicts
            for r, outcome, fid in detection.outcomes(
                receipts, allowance, policy=policy, cutoff=cutoff
            ):
                items.append(
                    (
                        r.scan_key,
                        r.merchant_id,
                        outcome,
                        settlement_id,
                        r.amount_cents,
                        r.token_id,
                        r.kind,
                        r.scanned_at,
                        fid,
                    )
                )
                (copies.append(r.key) if r.is_copy else scans.append(r.scan_key))
        findings.extend(await self.member_periods(by_cti))
        await self.record_findings(findings)
        await self.q.ledger.insert_items(items)
        await self.q.ledger.mark_settled(settlement_id, scans, copies)
        self.summary.examined += len(by_cti)

    async def member_periods(self, by_cti: dict[bytes, list[Receipt]]) -> list[Finding]:
        """Members of this chunk whose payments over all credentials of a month exceed it."""
        subs = sorted(
            {
                r.member_sub
                for rs in by_cti.values()
                for r in rs
                if r.member_sub and r.kind == "payment"
            }
        )
        groups: dict[tuple[bytes, str], list[tuple[bytes, int]]] = defaultdict(list)
        for row in await self.q.ledger.shared_periods(subs):
            groups[(bytes(row["sub"]), row["period"])].append(
                (bytes(row["cti"]), int(row["allowance_cents"]))
            )
        missing = sorted({c for creds in groups.values() for c, _ in creds} - by_cti.keys())
        known = dict(by_cti)
        for row in await self.q.ledger.receipts_of(missing):
            known.setdefault(bytes(row["cti"]), []).append(_receipt(row))
        out = []
        for (sub, period), creds in groups.items():
            credentials = [
                detection.PeriodCredential(cti, allowance, known.get(cti, []))
                for cti, allowance in creds
            ]
            finding = detection.detect_member_period(sub, period, credentials)
            if finding is not None:
                out.append(finding)
        return out

    async def record_findings(self, findings: list[Finding]) -> None:
        if not findings:
            return
        ids = [f.finding_id for f in findings]
        existing = await self.q.ledger.findings_by_id(ids)
        attached = await self.q.ledger.finding_receipt_keys(ids)
        links: list[tuple[str, bytes, str]] = []
        for f in findings:
            fid = f.finding_id
            new_links = [(fid, k, m) for k, m in f.receipts if (fid, k, m) not in attached]
            old = existing.get(fid)
            if old is None:
                await self.q.ledger.insert_finding(
                    fid, f.kind, f.cti, f.member_sub, self.now, f.amount_cents, f.summary
                )
                self.summary.findings_new += 1
                self.summary.double_spends.append(_finding_json(f))
                await self.block(f)
            elif new_links or f.amount_cents > old["amount_cents"]:
                await self.q.ledger.update_finding(
                    fid, max(f.amount_cents, old["amount_cents"]), f.summary
                )
                self.summary.findings_updated += 1
            links.extend(new_links)
        await self.q.ledger.attach_receipts(links)

    async def block(self, f: Finding) -> None:
        """Policy: the member (or credential) behind a new finding that only their key
        could have made is blocked; a voucher used twice is revoked. A copied QR, a
        voucher presented again or a payment honoured under an older list blocks
        nobody: the caisse reviews it (``detection.BLOCKS_MEMBER``)."""
        how = self.config.block_on_fraud
        if how == "none":
            return
        blocked: list[str] = []
        reused = f.kind == detection.VOUCHER_REUSE
        if reused and await self.q.ledger.revoke_voucher(f.cti, self.now):
            blocked.append(f"voucher {f.cti.hex()}")
        evidence = f.kind in detection.BLOCKS_MEMBER
        if (
            evidence
            and how == "credential"
            and await self.q.ledger.revoke_credential(f.cti, self.now)
        ):
            blocked.append(f"credential {f.cti.hex()}")
        if evidence and how == "member" and f.member_sub is not None:
            member = await self.q.ledger.member_by_sub(f.member_sub)
            if member is not None and member["status"] != MEMBER_REVOKED:
                await self.q.revoke_member(member["member_id"], self.now)
                await self.q.cancel_codes("member", member["member_id"], self.now)
                blocked.append(f"member {member['member_id']}")
        for what in blocked:
            kind, ident = what.split(" ", 1)
            self.summary.blocked.append({"kind": kind, "id": ident, "finding_id": f.finding_id})
        if blocked:
            await self.q.ledger.set_blocked(f.finding_id, "; ".join(blocked))


async def reconcile(
    storage: Storage,
    config: Config,
    *,
    now: int,
    until: int | None = None,
    root: SigningKey | None = None,
    progress: Progress | None = None,
) -> ReconcileSummary:
    """Find cross-shop fraud, settle every receipt scanned before ``until``, pay each shop.

    ``until`` defaults to today's local midnight; it is never later than the end of
    the current second (a scan of this very second, uploaded a moment ago, counts).
    With ``root``, a trust list listing newly blocked members is signed in the
    same transaction; without it they are revoked in the database and listed by
    the next list the server signs (at the latest after ``trust_list_refresh_s``).
    """
    tz = ZoneInfo(config.timezone)
    cutoff = min(default_until(now, tz) if until is None else until, now + 1)
    policy = {"settle_conflicts": config.settle_conflicts, "block_on_fraud": config.block_on_fraud}
    summary = ReconcileSummary(None, cutoff, policy)
    async with storage.transaction() as q:
        await q.ledger.lock()
        settlement_id = await q.ledger.next_settlement_id()
        await q.ledger.insert_settlement(settlement_id, cutoff, now, config.settle_conflicts)
        run = _Run(q, config, summary, now)
        total = await q.ledger.count_dirty_ctis() if progress else 0
        after = b""
        while ctis := await q.ledger.dirty_ctis(after):
            after = ctis[-1]
            await run.chunk(ctis, settlement_id, cutoff)
            if progress:
                progress(summary.examined, total)
        released = await q.ledger.released_items()
        await q.ledger.insert_items(
            [
                (
                    bytes(r["scan_key"]),
                    r["merchant_id"],
                    detection.PAID,
                    settlement_id,
                    r["amount_cents"],
                    bytes(r["token_id"]),
                    r["kind"],
                    r["scanned_at"],
                    r["finding_id"],
                )
                for r in released
            ]
        )
        await _payouts(q, config, summary, settlement_id)
        if summary.blocked and root is not None:
            signed = await sign_new_list(
                q, config, root, now, f"reconcile: {len(summary.blocked)} blocked after fraud"
            )
            summary.trust_list_seq = signed.seq
    return summary


async def _payouts(
    q: Queries, config: Config, summary: ReconcileSummary, settlement_id: int
) -> None:
    rows = await q.ledger.settlement_totals(settlement_id)
    if not rows:
        await q.ledger.delete_settlement(settlement_id)
        return
    summary.settlement_id = settlement_id
    for row in rows:
        merchant = await q.merchant(row["merchant_id"])
        line = {
            "merchant_id": row["merchant_id"],
            "name": merchant["name"] if merchant else row["merchant_id"],
            "iban": merchant["iban"] if merchant else "",
            "bic": merchant["bic"] if merchant else None,
            "payments": int(row["payments"]),
            "amount_cents": int(row["amount_cents"]),
            "withheld": int(row["withheld"]),
            "withheld_cents": int(row["withheld_cents"]),
            "reference": transfer_reference(settlement_id, row["merchant_id"]),
        }
        await q.ledger.insert_payout(settlement_id, line)
        summary.payments += line["payments"]
        summary.total_cents += line["amount_cents"]
        summary.withheld += line["withheld"]
        summary.withheld_cents += line["withheld_cents"]
        summary.payouts.append(
            {
                k: line[k]
                for k in ("merchant_id", "amount_cents", "payments", "withheld", "reference")
            }
        )
    await q.ledger.finish_settlement(
        settlement_id,
        (summary.payments, summary.total_cents, summary.withheld, summary.withheld_cents),
    )

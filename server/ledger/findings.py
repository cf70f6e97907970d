"""The caisse's review of reconciliation findings: list, export with proof, decide.

A finding keeps its proof: the signed tokens (as ``SSA1:`` QR text, verifiable
by anyone with the trust list) and where and when each shop accepted them.
The decision is the caisse's: ``confirmed`` (fraud), ``dismissed`` (not
fraud), or ``release`` (pay the receipts the ``first`` policy withheld, in the
next settlement).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from keys import tokens
from server.errors import DomainError
from server.storage.core import Storage

DECISIONS = ("confirmed", "dismissed", "release")
MAX_NOTE = 1000


class FindingError(DomainError):
    """No such finding, or a decision that is not allowed."""

    code = "INVALID_FINDING"


@dataclass(frozen=True, slots=True)
class FindingRecord:
    """A finding as the caisse reviews it: what was found, who was blocked, the decision."""

    finding_id: str
    kind: str
    cti: str  # hex
    member_id: str | None
    detected_at: int
    amount_cents: int
    summary: str
    blocked: str | None
    decision: str | None
    decision_note: str | None
    decided_at: int | None

    @classmethod
    def of(cls, row: Any) -> FindingRecord:
        return cls(**_fields(row))


@dataclass(frozen=True, slots=True)
class Evidence:
    """One receipt behind a finding, with the signed token as ``SSA1:`` QR text."""

    merchant_id: str
    batch_id: str
    scanned_at: int
    received_at: int
    token_id: str  # hex
    kind: str
    seq: int | None
    amount_cents: int
    cumulative_cents: int | None
    qr: str


@dataclass(frozen=True, slots=True)
class FindingProof(FindingRecord):
    """A finding with its proof: every receipt and the signed token behind it."""

    evidence: list[Evidence]


def _fields(row: Any) -> dict[str, Any]:
    return {
        "finding_id": row["finding_id"],
        "kind": row["kind"],
        "cti": bytes(row["cti"]).hex(),
        "member_id": bytes(row["member_sub"]).hex() if row["member_sub"] is not None else None,
        "detected_at": row["detected_at"],
        "amount_cents": row["amount_cents"],
        "summary": row["summary"],
        "blocked": row["blocked"],
        "decision": row["decision"],
        "decision_note": row["decision_note"],
        "decided_at": row["decided_at"],
    }


async def list_findings(
    storage: Storage,
    *,
    kind: str | None = None,
    pending_only: bool = False,
    after: str = "",
    limit: int = 100,
) -> list[FindingRecord]:
    """One page of findings in id order; pass the last ``finding_id`` as ``after`` for more."""
    async with storage.read() as q:
        rows = await q.ledger.findings(
            kind=kind, pending_only=pending_only, after=after, limit=max(1, min(limit, 1000))
        )
    return [FindingRecord.of(r) for r in rows]


async def export_finding(storage: Storage, finding_id: str) -> FindingProof:
    """A finding with its proof: every receipt and the signed token behind it."""
    async with storage.read() as q:
        row = await q.ledger.finding(finding_id)
        if row is None:
            raise FindingError(f"no finding {finding_id!r:.40}")
        evidence = await q.ledger.finding_evidence(finding_id)
    return FindingProof(
        **_fields(row),
        evidence=[
            Evidence(
                merchant_id=e["merchant_id"],
                batch_id=e["batch_id"],
                scanned_at=e["scanned_at"],
                received_at=e["received_at"],
                token_id=bytes(e["token_id"]).hex(),
                kind=e["kind"],
                seq=e["seq"],
                amount_cents=e["amount_cents"],
                cumulative_cents=e["cumulative_cents"],
                qr=tokens.to_qr(bytes(e["token"])),
            )
            for e in evidence
        ],
    )


async def export_findings(
    storage: Storage, *, kind: str | None = None, pending_only: bool = False
) -> AsyncIterator[FindingProof]:
    """Every finding with proof, one at a time (streams: memory stays bounded)."""
    after = ""
    while page := await list_findings(
        storage, kind=kind, pending_only=pending_only, after=after, limit=200
    ):
        for item in page:
            yield await export_finding(storage, item.finding_id)
        after = page[-1].finding_id


async def decide(
    storage: Storage, finding_id: str, decision: str, note: str | None, now: int
) -> FindingRecord:
    """Record the caisse's decision (it may be changed; a receipt once paid stays paid)."""
    if decision not in DECISIONS:
        raise FindingError(f"decision must be one of {', '.join(DECISIONS)}")
    if note is not None and (len(note) > MAX_NOTE or any(ord(c) < 32 for c in note)):
        raise FindingError(f"note must be at most {MAX_NOTE} characters, one line")
    async with storage.transaction() as q:
        if not await q.ledger.decide(finding_id, decision, note, now):
            raise FindingError(f"no finding {finding_id!r:.40}")
        row = await q.ledger.finding(finding_id)
    return FindingRecord.of(row)

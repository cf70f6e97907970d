"""A bank statement imported: each new bank entry matched to a household, or queued for review.

Matching, in order, for money in:

1. the structured communication (CODA type 101, camt ``CdtrRefInf`` issued by BBA,
   or the same 12 digits typed in a free communication) names the household;
2. the debtor's IBAN is known for exactly one household (a mandate, an earlier
   payment) whose monthly amount is the amount received;
3. else the entry waits in the review queue, where a volunteer assigns it
   (``assign_entry``) or sets it aside (``set_aside``).

Money out is a returned direct debit (an R-transaction: found by its end-to-end
id, the period it paid becomes unpaid again) or something else (shop payouts,
bank costs), kept as ``other``. Everything is written in one transaction; an entry
already stored (the same statement again, an overlapping one) is a duplicate and
changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from server.config import Config
from server.ledger.bank_files import BankEntry, parse
from server.storage.core import Queries, Storage

MATCHED, UNMATCHED, ASSIGNED, SET_ASIDE, RETURNED, OTHER = (
    "matched",
    "unmatched",
    "assigned",
    "set_aside",
    "returned",
    "other",
)


class BankImportError(ValueError):
    """An entry of the review queue cannot be assigned; the message says why."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    statement: str
    format: str
    lines: int
    matched: int
    matched_cents: int
    unmatched: int
    duplicates: int
    returned: int
    returned_cents: int
    other: int

    def to_json(self) -> dict[str, Any]:
        return {
            "statement": self.statement,
            "format": self.format,
            "lines": self.lines,
            "matched": self.matched,
            "matched_cents": self.matched_cents,
            "unmatched": self.unmatched,
            "duplicates": self.duplicates,
            "returned": self.returned,
            "returned_cents": self.returned_cents,
            "other": self.other,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """A bank entry of the review queue, settled by a volunteer."""

    entry: str
    status: str
    household_id: int | None
    amount_cents: int

    def to_json(self) -> dict[str, Any]:
        return {
            "entry": self.entry,
            "status": self.status,
            "household_id": self.household_id,
            "amount_cents": self.amount_cents,
        }


def _monthly(choices: list[Any]) -> dict[int, int]:
    """Each household's latest chosen amount (what a standing order would carry)."""
    out: dict[int, int] = {}
    for row in choices:  # ordered by household, then month
        out[int(row["household_id"])] = int(row["monthly_cents"])
    return out


async def import_statement(
    storage: Storage, config: Config, data: bytes, *, actor: str, now: int
) -> ImportResult:
    statement = parse(data)
    async with storage.transaction() as q:
        await q.households.lock()
        existing = await q.contributions.existing_entries([e.key for e in statement.entries])
        fresh = [e for e in statement.entries if e.key not in existing]
        references = await q.households.references() if fresh else {}
        ibans = await q.contributions.ibans() if fresh else {}
        monthly = _monthly(await q.households.choices()) if fresh else {}
        counts = {"matched": 0, "matched_cents": 0, "unmatched": 0, "returned": 0}
        counts.update(returned_cents=0, other=0)
        entry_rows, payments = [], []
        for e in fresh:
            status, household, how, channel = await _match(q, e, references, ibans, monthly, now)
            if status == MATCHED:
                counts["matched"] += 1
                counts["matched_cents"] += e.amount_cents
            elif status == RETURNED:
                counts["returned"] += 1
                counts["returned_cents"] += e.amount_cents
            elif status == UNMATCHED:
                counts["unmatched"] += 1
            else:
                counts["other"] += 1
            if household is not None:
                payments.append(
                    (
                        f"bank:{e.key}",
                        household,
                        e.amount_cents,
                        channel,
                        e.booked_on,
                        e.key,
                        None,
                        now,
                        actor,
                    )
                )
                if e.counterparty_iban and status == MATCHED:
                    ibans.setdefault(e.counterparty_iban, [])
                    if household not in ibans[e.counterparty_iban]:
                        ibans[e.counterparty_iban].append(household)
                        await q.contributions.add_iban(e.counterparty_iban, household)
            entry_rows.append(
                (
                    e.key,
                    statement.key,
                    e.booked_on,
                    e.amount_cents,
                    e.counterparty_iban,
                    e.counterparty_name,
                    e.communication[:500],
                    e.structured_ref,
                    e.end_to_end_id,
                    "credit" if e.amount_cents > 0 else "debit",
                    status,
                    household,
                    how,
                    None,
                    None,
                    now,
                )
            )
        await q.contributions.insert_entries(entry_rows)
        await q.contributions.insert_payments(payments)
        new_statement = await q.contributions.insert_statement(
            statement.key,
            statement.format,
            statement.account,
            statement.statement_id,
            hashlib.sha256(data).digest(),
            len(statement.entries),
            actor,
            now,
        )
        result = ImportResult(
            statement=statement.key,
            format=statement.format,
            lines=len(statement.entries),
            duplicates=len(statement.entries) - len(fresh),
            **counts,
        )
        if fresh or new_statement:
            await q.console.append_audit(
                actor=actor,
                action="contribution.import",
                target=statement.key,
                detail={k: v for k, v in result.to_json().items() if k != "statement"},
                now=now,
            )
    return result


async def _match(
    q: Queries,
    e: BankEntry,
    references: dict[str, int],
    ibans: dict[str, list[int]],
    monthly: dict[int, int],
    now: int,
) -> tuple[str, int | None, str | None, str]:
    """(status, household, how, channel) of one new entry."""
    if e.amount_cents < 0:
        if not e.returned:
            return OTHER, None, None, ""
        debit = await q.contributions.debit(e.end_to_end_id) if e.end_to_end_id else None
        if debit is not None:
            await q.contributions.mark_returned(e.end_to_end_id or "", e.return_reason, now)
            return RETURNED, int(debit["household_id"]), "end_to_end_id", "direct_debit"
        if e.structured_ref in references:
            return RETURNED, references[e.structured_ref or ""], "reference", "direct_debit"
        return UNMATCHED, None, None, ""
    if e.amount_cents == 0:
        return OTHER, None, None, ""
    if e.end_to_end_id:
        debit = await q.contributions.debit(e.end_to_end_id)
        if debit is not None:
            return MATCHED, int(debit["household_id"]), "end_to_end_id", "direct_debit"
    if e.structured_ref and e.structured_ref in references:
        return MATCHED, references[e.structured_ref], "reference", "transfer"
    if e.counterparty_iban:
        candidates = [
            h for h in ibans.get(e.counterparty_iban, []) if monthly.get(h) == e.amount_cents
        ]
        if len(candidates) == 1:
            return MATCHED, candidates[0], "iban_amount", "transfer"
    return UNMATCHED, None, None, ""


async def review_queue(storage: Storage, limit: int = 500) -> list[Any]:
    async with storage.read() as q:
        return await q.contributions.entries(UNMATCHED, limit)


async def assign_entry(
    q: Queries, entry_key: str, household_id: int, *, actor: str, now: int
) -> Decision:
    """A volunteer says whose money an unmatched entry is: it becomes their payment."""
    entry = await q.contributions.entry(entry_key)
    if entry is None:
        raise BankImportError(f"no bank entry {entry_key}")
    if await q.households.household(household_id) is None:
        raise BankImportError(f"no household {household_id}")
    if not await q.contributions.decide_entry(entry_key, ASSIGNED, household_id, actor, now):
        raise BankImportError(f"bank entry {entry_key} is not waiting for review")
    amount = int(entry["amount_cents"])
    channel = "direct_debit" if amount < 0 else "transfer"
    await q.contributions.insert_payments(
        [
            (
                f"bank:{entry_key}",
                household_id,
                amount,
                channel,
                entry["booked_on"],
                entry_key,
                "assigned on review",
                now,
                actor,
            )
        ]
    )
    if entry["counterparty_iban"] and amount > 0:
        await q.contributions.add_iban(entry["counterparty_iban"], household_id)
    await q.console.append_audit(
        actor=actor,
        action="contribution.assign",
        target=entry_key,
        detail={"household_id": household_id, "amount_cents": amount},
        now=now,
    )
    return Decision(entry_key, ASSIGNED, household_id, amount)


async def set_aside(q: Queries, entry_key: str, *, note: str, actor: str, now: int) -> Decision:
    """Not a contribution (a gift, a mistake to pay back): out of the queue, with a note."""
    if not await q.contributions.decide_entry(entry_key, SET_ASIDE, None, actor, now):
        raise BankImportError(f"bank entry {entry_key} is not waiting for review")
    await q.console.append_audit(
        actor=actor,
        action="contribution.set_aside",
        target=entry_key,
        detail={"note": note},
        now=now,
    )
    entry = await q.contributions.entry(entry_key)
    return Decision(entry_key, SET_ASIDE, None, int(entry["amount_cents"]) if entry else 0)

"""The console's door to reconciliation and settlement (``server.reconcile``, ``findings``,
``sepa``, ``statements``): their service functions, never a copy of their rules.

Read-only listings (settlements, payouts) come from ``server.storage.ledger``. A
broken ledger module fails at import, loudly: the console never hides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.console.call import Call
from server.ledger.findings import list_findings


@dataclass(frozen=True, slots=True)
class Summary:
    last: Any
    open_findings: int


async def dashboard_summary(call: Call) -> Summary:
    async with call.ctx.storage.read() as q:
        last = await q.ledger.settlement(None)
    pending = await list_findings(call.ctx.storage, pending_only=True, limit=1000)
    return Summary(last, len(pending))


async def settlements(call: Call, limit: int = 24) -> list[Any]:
    async with call.ctx.storage.read() as q:
        return await q.ledger.settlements(limit)


async def settlement(call: Call, settlement_id: int) -> tuple[Any, list[Any]]:
    async with call.ctx.storage.read() as q:
        row = await q.ledger.settlement(settlement_id)
        payouts = await q.ledger.payouts(settlement_id) if row is not None else []
    return row, payouts


async def shop_payouts(call: Call, merchant_id: str, limit: int = 60) -> list[dict[str, Any]]:
    """This shop's payouts in the latest ``limit`` settlements, newest first."""

    out = []
    async with call.ctx.storage.read() as q:
        for s in await q.ledger.settlements(limit):
            for p in await q.ledger.payouts(s["settlement_id"]):
                if p["merchant_id"] == merchant_id:
                    out.append({"settlement": s, "payout": p})
    return out

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
from server.storage.ledger import LedgerQueries


@dataclass(frozen=True, slots=True)
class Summary:
    last: Any
    open_findings: int


async def dashboard_summary(call: Call) -> Summary:
    async with call.ctx.storage.read() as q:
        last = await LedgerQueries(q).settlement(None)
    pending = await list_findings(call.ctx.storage, pending_only=True, limit=1000)
    return Summary(last, len(pending))


async def settlements(call: Call, limit: int = 24) -> list[Any]:
    async with call.ctx.storage.read() as q:
        return await LedgerQueries(q).settlements(limit)


async def settlement(call: Call, settlement_id: int) -> tuple[Any, list[Any]]:
    async with call.ctx.storage.read() as q:
        lq = LedgerQueries(q)
        row = await lq.settlement(settlement_id)
        payouts = await lq.payouts(settlement_id) if row is not None else []
    return row, payouts


async def shop_payouts(call: Call, merchant_id: str, limit: int = 60) -> list[dict[str, Any]]:
    """This shop's payouts in the latest ``limit`` settlements, newest first."""

    out = []
    async with call.ctx.storage.read() as q:
        lq = LedgerQueries(q)
        for s in await lq.settlements(limit):
            for p in await lq.payouts(s["settlement_id"]):
                if p["merchant_id"] == merchant_id:
                    out.append({"settlement": s, "payout": p})
    return out

"""Shared steps of the reconciliation tests: pay, upload, reconcile, read the ledger."""

from __future__ import annotations

from typing import Any

from server.ledger.reconcile import ReconcileSummary, reconcile
from server.storage.core import Storage

DEBTOR = {
    "sepa_debtor_name": "Caisse SSA Bruxelles",
    "sepa_debtor_iban": "BE62 5100 0754 7061",
    "sepa_debtor_bic": "GEBABEBB",
}


def scan(qr: str, at: int) -> dict[str, Any]:
    return {"qr": qr, "scanned_at": at, "result": "OK"}


async def upload_ok(api: Any, shop: Any, scans: list[dict], batch_id: str | None = None) -> dict:
    r = await api.upload(shop, scans, batch_id=batch_id)
    assert r.status_code == 200, r.text
    return r.json()


async def run(
    api: Any, config: Any = None, storage: Storage | None = None, **kw: Any
) -> ReconcileSummary:
    kw.setdefault("until", api.now)
    return await reconcile(
        storage or api.ctx.storage, config or api.cfg, now=api.now, root=api.keys.root, **kw
    )


async def ledger(api: Any) -> list[tuple[bytes, str, str, int]]:
    async with api.ctx.storage.read() as q:
        rows = await q.conn.fetchall(
            "SELECT scan_key, merchant_id, outcome, amount_cents FROM settlement_items "
            "ORDER BY scan_key, merchant_id, outcome"
        )
    return [(bytes(r[0]), r[1], r[2], r[3]) for r in rows]


async def paid_twice(api: Any) -> list:
    async with api.ctx.storage.read() as q:
        return await q.conn.fetchall(
            "SELECT scan_key, merchant_id FROM settlement_items WHERE outcome = 'paid' "
            "GROUP BY scan_key, merchant_id HAVING COUNT(*) > 1"
        )


async def payout_total(api: Any) -> int:
    async with api.ctx.storage.read() as q:
        return int(await q.conn.fetchval("SELECT COALESCE(SUM(amount_cents), 0) FROM payouts"))

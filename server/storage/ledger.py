"""SQL of reconciliation, settlement, findings, statements and vouchers (migration 2).

Kept apart from ``server.storage.core`` so the core stays small; ``LedgerQueries``
(``q.ledger``) runs on the connection of a ``Queries`` (same read or transaction),
in the same two-dialect SQL. The constraints do the safety-critical part: a receipt (token,
shop) is paid at most once (``settlement_items_paid_once``), a finding is
recorded once (its id is derived from what it is about).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from server.db.seam import Row
from server.storage.core import Queries, ScanRow

RECONCILE_LOCK = 7_700_010
CHUNK = 500

_RECEIPT_COLUMNS = (
    "s.scan_key, s.token_id, s.kind, s.cti, s.member_sub, s.seq, s.amount_cents, s.cumulative_cents"
)


_ITEM_TYPES = ("bytea", "text", "text", "bigint", "bigint", "bytea", "text", "bigint", "text")


class LedgerQueries:
    """Ledger SQL on the connection of ``q`` (inside its read or transaction): ``q.ledger``."""

    def __init__(self, q: Queries) -> None:
        self.conn = q.conn
        self.db = q.db

    async def lock(self) -> None:
        """Serialize reconciliations (PostgreSQL advisory lock; SQLite writers are serial)."""
        await self.db.lock(self.conn, RECONCILE_LOCK)

    # -- intake: a token another shop had already sent ----------------------------

    async def record_copies(
        self, merchant_id: str, batch_id: str, received_at: int, rows: Iterable[ScanRow]
    ) -> None:
        """Keep an accepted token already stored under ANOTHER shop as a receipt of its own."""
        params = [
            (
                merchant_id,
                batch_id,
                r.scanned_at,
                received_at,
                r.scanner_result,
                r.scan_key,
                merchant_id,
            )
            for r in sorted(rows, key=lambda r: r.scan_key)
        ]
        if params:
            await self.conn.executemany(
                "INSERT INTO scan_copies (scan_key, merchant_id, batch_id, scanned_at, "
                "received_at, scanner_result) SELECT s.scan_key, ?, ?, ?, ?, ? FROM scans s "
                "WHERE s.scan_key = ? AND s.merchant_id <> ? AND s.status = 'accepted' "
                "ON CONFLICT DO NOTHING",
                params,
            )

    # -- reconciliation -------------------------------------------------------------

    async def count_dirty_ctis(self) -> int:
        return int(
            await self.conn.fetchval(
                "SELECT COUNT(*) FROM (SELECT s.cti FROM scans s WHERE s.status = 'accepted' "
                "AND s.settlement_id IS NULL UNION SELECT s.cti FROM scan_copies c "
                "JOIN scans s ON s.scan_key = c.scan_key WHERE c.settlement_id IS NULL) AS d"
            )
            or 0
        )

    async def dirty_ctis(self, after: bytes, limit: int = CHUNK) -> list[bytes]:
        """Credentials/vouchers with a receipt not yet settled, in cti order after ``after``."""
        rows = await self.conn.fetchall(
            "SELECT cti FROM (SELECT s.cti FROM scans s WHERE s.status = 'accepted' "
            "AND s.settlement_id IS NULL AND s.cti > ? UNION SELECT s.cti FROM scan_copies c "
            "JOIN scans s ON s.scan_key = c.scan_key WHERE c.settlement_id IS NULL "
            "AND s.cti > ?) AS d ORDER BY cti LIMIT ?",
            after,
            after,
            limit,
        )
        return [bytes(r[0]) for r in rows]

    async def receipts_of(self, ctis: Sequence[bytes]) -> list[Row]:
        """Every receipt of these credentials/vouchers, settled or not, with its outcome."""
        paid = (
            "(SELECT 1 FROM settlement_items i WHERE i.scan_key = s.scan_key "
            "AND i.merchant_id = {m} AND i.outcome = 'paid') AS paid"
        )
        return await self.conn.fetch_in(
            f"SELECT {_RECEIPT_COLUMNS}, s.merchant_id, s.scanned_at, s.received_at, "
            f"s.settlement_id, 0 AS is_copy, {paid.format(m='s.merchant_id')}, "
            "s.revoked_by_seq FROM scans s WHERE s.status = 'accepted' AND {in} "
            f"UNION ALL SELECT {_RECEIPT_COLUMNS}, c.merchant_id, c.scanned_at, c.received_at, "
            f"c.settlement_id, 1 AS is_copy, {paid.format(m='c.merchant_id')}, "
            "NULL AS revoked_by_seq FROM scan_copies c "
            "JOIN scans s ON s.scan_key = c.scan_key WHERE {in}",
            column="s.cti",
            values=ctis,
            sql_type="bytea",
        )

    async def shared_periods(self, subs: Sequence[bytes]) -> list[Row]:
        """(sub, period, cti, allowance_cents) of these members' months with 2+ credentials.

        In issue order. A member re-activated on a new phone has two credentials
        for the month; almost nobody else does, so this is usually empty.
        """
        return await self.conn.fetch_in(
            "SELECT m.sub, c.period, c.cti, c.allowance_cents FROM credentials c "
            "JOIN members m ON m.member_id = c.member_id "
            "WHERE {in} AND EXISTS (SELECT 1 FROM "
            "credentials o WHERE o.member_id = c.member_id AND o.period = c.period "
            "AND o.cti <> c.cti) ORDER BY m.sub, c.period, c.issued_at, c.cti",
            column="m.sub",
            values=subs,
            sql_type="bytea",
        )

    async def tokens(self, scan_keys: Sequence[bytes]) -> dict[bytes, bytes]:
        rows = await self.conn.fetch_in(
            "SELECT scan_key, token FROM scans WHERE {in}",
            column="scan_key",
            values=scan_keys,
            sql_type="bytea",
        )
        return {bytes(r[0]): bytes(r[1]) for r in rows if r[1] is not None}

    async def next_settlement_id(self) -> int:
        return int(
            await self.conn.fetchval("SELECT COALESCE(MAX(settlement_id), 0) + 1 FROM settlements")
        )

    async def insert_settlement(
        self, settlement_id: int, until: int, now: int, policy: str
    ) -> None:
        await self.conn.execute(
            "INSERT INTO settlements (settlement_id, until_ts, created_at, policy, payments, "
            "total_cents, withheld, withheld_cents) VALUES (?, ?, ?, ?, 0, 0, 0, 0)",
            settlement_id,
            until,
            now,
            policy,
        )

    async def finish_settlement(
        self, settlement_id: int, totals: tuple[int, int, int, int]
    ) -> None:
        await self.conn.execute(
            "UPDATE settlements SET payments = ?, total_cents = ?, withheld = ?, "
            "withheld_cents = ? WHERE settlement_id = ?",
            *totals,
            settlement_id,
        )

    async def delete_settlement(self, settlement_id: int) -> None:
        await self.conn.execute("DELETE FROM settlements WHERE settlement_id = ?", settlement_id)

    async def insert_items(self, items: Sequence[tuple[Any, ...]]) -> None:
        """(scan_key, merchant_id, outcome, settlement_id, amount, token_id, kind, scanned_at,
        finding_id) rows; one already there is skipped, never paid twice."""
        await self.conn.insert_many(
            "INSERT INTO settlement_items (scan_key, merchant_id, outcome, settlement_id, "
            "amount_cents, token_id, kind, scanned_at, finding_id) {rows} ON CONFLICT DO NOTHING",
            _ITEM_TYPES,
            items,
        )

    async def mark_settled(
        self, settlement_id: int, scans: Sequence[bytes], copies: Sequence[tuple[bytes, str]]
    ) -> None:
        await self.conn.execute_in(
            "UPDATE scans SET settlement_id = ? WHERE {in} AND settlement_id IS NULL",
            settlement_id,
            column="scan_key",
            values=scans,
            sql_type="bytea",
        )
        if copies:
            await self.conn.executemany(
                "UPDATE scan_copies SET settlement_id = ? WHERE scan_key = ? AND merchant_id = ? "
                "AND settlement_id IS NULL",
                [(settlement_id, key, m) for key, m in copies],
            )

    async def released_items(self) -> list[Row]:
        """Withheld receipts whose finding the caisse decided to pay, not yet paid."""
        return await self.conn.fetchall(
            "SELECT w.scan_key, w.merchant_id, w.amount_cents, w.token_id, w.kind, "
            "w.scanned_at, w.finding_id FROM settlement_items w "
            "JOIN findings f ON f.finding_id = w.finding_id "
            "WHERE w.outcome = 'withheld' AND f.decision = 'release' AND NOT EXISTS "
            "(SELECT 1 FROM settlement_items p WHERE p.scan_key = w.scan_key "
            "AND p.merchant_id = w.merchant_id AND p.outcome = 'paid')"
        )

    async def settlement_totals(self, settlement_id: int) -> list[Row]:
        """Per shop: paid count and cents, withheld count and cents, of one settlement."""
        return await self.conn.fetchall(
            "SELECT merchant_id, "
            "SUM(CASE WHEN outcome = 'paid' THEN 1 ELSE 0 END) AS payments, "
            "SUM(CASE WHEN outcome = 'paid' THEN amount_cents ELSE 0 END) AS amount_cents, "
            "SUM(CASE WHEN outcome = 'withheld' THEN 1 ELSE 0 END) AS withheld, "
            "SUM(CASE WHEN outcome = 'withheld' THEN amount_cents ELSE 0 END) AS withheld_cents "
            "FROM settlement_items WHERE settlement_id = ? GROUP BY merchant_id "
            "ORDER BY merchant_id",
            settlement_id,
        )

    async def insert_payout(self, settlement_id: int, row: dict[str, Any]) -> None:
        await self.conn.execute(
            "INSERT INTO payouts (settlement_id, merchant_id, name, iban, bic, payments, "
            "amount_cents, withheld, withheld_cents, reference) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            settlement_id,
            row["merchant_id"],
            row["name"],
            row["iban"],
            row["bic"],
            row["payments"],
            row["amount_cents"],
            row["withheld"],
            row["withheld_cents"],
            row["reference"],
        )

    # -- findings -------------------------------------------------------------------------

    async def findings_by_id(self, finding_ids: Sequence[str]) -> dict[str, Row]:
        rows = await self.conn.fetch_in(
            "SELECT finding_id, kind, amount_cents, blocked, decision FROM findings WHERE {in}",
            column="finding_id",
            values=finding_ids,
            sql_type="text",
        )
        return {r["finding_id"]: r for r in rows}

    async def finding_receipt_keys(self, finding_ids: Sequence[str]) -> set[tuple[str, bytes, str]]:
        rows = await self.conn.fetch_in(
            "SELECT finding_id, scan_key, merchant_id FROM finding_receipts WHERE {in}",
            column="finding_id",
            values=finding_ids,
            sql_type="text",
        )
        return {(r[0], bytes(r[1]), r[2]) for r in rows}

    async def insert_finding(
        self,
        finding_id: str,
        kind: str,
        cti: bytes,
        member_sub: bytes | None,
        now: int,
        amount_cents: int,
        summary: str,
    ) -> bool:
        return bool(
            await self.conn.execute(
                "INSERT INTO findings (finding_id, kind, cti, member_sub, detected_at, "
                "amount_cents, summary) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                finding_id,
                kind,
                cti,
                member_sub,
                now,
                amount_cents,
                summary,
            )
        )

    async def update_finding(self, finding_id: str, amount_cents: int, summary: str) -> None:
        await self.conn.execute(
            "UPDATE findings SET amount_cents = ?, summary = ? WHERE finding_id = ?",
            amount_cents,
            summary,
            finding_id,
        )

    async def attach_receipts(self, rows: Sequence[tuple[str, bytes, str]]) -> None:
        if rows:
            await self.conn.executemany(
                "INSERT INTO finding_receipts (finding_id, scan_key, merchant_id) "
                "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )

    async def set_blocked(self, finding_id: str, blocked: str) -> None:
        await self.conn.execute(
            "UPDATE findings SET blocked = ? WHERE finding_id = ?", blocked, finding_id
        )

    async def member_by_sub(self, sub: bytes) -> Row | None:
        return await self.conn.fetchone("SELECT member_id, status FROM members WHERE sub = ?", sub)

    async def revoke_credential(self, cti: bytes, now: int) -> int:
        return await self.conn.execute(
            "UPDATE credentials SET revoked_at = ? WHERE cti = ? AND revoked_at IS NULL",
            now,
            cti,
        )

    async def revoke_voucher(self, cti: bytes, now: int) -> int:
        return await self.conn.execute(
            "UPDATE vouchers SET revoked_at = ? WHERE cti = ? AND revoked_at IS NULL", now, cti
        )

    async def findings(
        self, *, kind: str | None, pending_only: bool, after: str, limit: int
    ) -> list[Row]:
        where, args = ["finding_id > ?"], [after]
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if pending_only:
            where.append("decision IS NULL")
        return await self.conn.fetchall(
            "SELECT finding_id, kind, cti, member_sub, detected_at, amount_cents, summary, "
            "blocked, decision, decision_note, decided_at FROM findings "
            f"WHERE {' AND '.join(where)} ORDER BY finding_id LIMIT ?",
            *args,
            limit,
        )

    async def finding(self, finding_id: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT finding_id, kind, cti, member_sub, detected_at, amount_cents, summary, "
            "blocked, decision, decision_note, decided_at FROM findings WHERE finding_id = ?",
            finding_id,
        )

    async def finding_evidence(self, finding_id: str) -> list[Row]:
        """The receipts of a finding with their signed tokens, in scan order."""
        return await self.conn.fetchall(
            "SELECT r.scan_key, r.merchant_id, s.token, s.token_id, s.kind, s.seq, "
            "s.amount_cents, s.cumulative_cents, "
            "COALESCE(c.scanned_at, s.scanned_at) AS scanned_at, "
            "COALESCE(c.received_at, s.received_at) AS received_at, "
            "COALESCE(c.batch_id, s.batch_id) AS batch_id "
            "FROM finding_receipts r JOIN scans s ON s.scan_key = r.scan_key "
            "LEFT JOIN scan_copies c ON c.scan_key = r.scan_key AND c.merchant_id = r.merchant_id "
            "AND s.merchant_id <> r.merchant_id "
            "WHERE r.finding_id = ? ORDER BY scanned_at, r.scan_key, r.merchant_id",
            finding_id,
        )

    async def decide(self, finding_id: str, decision: str, note: str | None, now: int) -> int:
        return await self.conn.execute(
            "UPDATE findings SET decision = ?, decision_note = ?, decided_at = ? "
            "WHERE finding_id = ?",
            decision,
            note,
            now,
            finding_id,
        )

    # -- settlements, payouts, documents ---------------------------------------------------

    async def settlements(self, limit: int = 100) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT settlement_id, until_ts, created_at, policy, payments, total_cents, "
            "withheld, withheld_cents FROM settlements ORDER BY settlement_id DESC LIMIT ?",
            limit,
        )

    async def settlement(self, settlement_id: int | None) -> Row | None:
        if settlement_id is None:
            return await self.conn.fetchone(
                "SELECT settlement_id, until_ts, created_at, policy, payments, total_cents, "
                "withheld, withheld_cents FROM settlements ORDER BY settlement_id DESC LIMIT 1"
            )
        return await self.conn.fetchone(
            "SELECT settlement_id, until_ts, created_at, policy, payments, total_cents, "
            "withheld, withheld_cents FROM settlements WHERE settlement_id = ?",
            settlement_id,
        )

    async def payouts(self, settlement_id: int) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT merchant_id, name, iban, bic, payments, amount_cents, withheld, "
            "withheld_cents, reference FROM payouts WHERE settlement_id = ? ORDER BY merchant_id",
            settlement_id,
        )

    async def items_of(self, settlement_id: int, merchant_id: str) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT scan_key, outcome, amount_cents, token_id, kind, scanned_at, finding_id "
            "FROM settlement_items WHERE settlement_id = ? AND merchant_id = ? "
            "ORDER BY scanned_at, token_id, outcome",
            settlement_id,
            merchant_id,
        )

    async def document(self, settlement_id: int, merchant_id: str, fmt: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT issued_at, sha256, body FROM issued_documents "
            "WHERE settlement_id = ? AND merchant_id = ? AND format = ?",
            settlement_id,
            merchant_id,
            fmt,
        )

    async def insert_document(
        self, settlement_id: int, merchant_id: str, fmt: str, now: int, digest: bytes, body: bytes
    ) -> None:
        await self.conn.execute(
            "INSERT INTO issued_documents (settlement_id, merchant_id, format, issued_at, "
            "sha256, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            settlement_id,
            merchant_id,
            fmt,
            now,
            digest,
            body,
        )

    # -- vouchers ---------------------------------------------------------------------------

    async def insert_voucher(
        self,
        cti: bytes,
        amount_cents: int,
        nbf: int,
        exp: int,
        member_id: str | None,
        issuer_kid: bytes,
        now: int,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO vouchers (cti, amount_cents, nbf, exp, member_id, issuer_kid, "
            "issued_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            cti,
            amount_cents,
            nbf,
            exp,
            member_id,
            issuer_kid,
            now,
        )

    # -- monthly report ---------------------------------------------------------------------

    async def report_members(self, end: int) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT status, COUNT(*) AS n FROM members WHERE created_at < ? GROUP BY status",
            end,
        )

    async def report_allowances(self, period: str) -> Row:
        return await self.conn.fetchone(
            "SELECT COUNT(*) AS credentials, COUNT(DISTINCT member_id) AS members, "
            "COALESCE(SUM(allowance_cents), 0) AS cents FROM credentials WHERE period = ?",
            period,
        )

    async def report_spent(self, period: str) -> Row:
        """Payments received on the credentials of a period, each token once: a copy of a
        payment (the same QR from another shop) is no spending by the member."""
        return await self.conn.fetchone(
            "SELECT COUNT(*) AS payments, COALESCE(SUM(s.amount_cents), 0) AS cents "
            "FROM scans s JOIN credentials k ON k.cti = s.cti "
            "WHERE k.period = ? AND s.status = 'accepted' AND s.kind = 'payment'",
            period,
        )

    async def report_paid(self, period: str) -> Row:
        """What settlements paid the shops for payments on the credentials of a period."""
        return await self.conn.fetchone(
            "SELECT COUNT(*) AS payments, COALESCE(SUM(i.amount_cents), 0) AS cents "
            "FROM settlement_items i JOIN scans s ON s.scan_key = i.scan_key "
            "JOIN credentials k ON k.cti = s.cti "
            "WHERE k.period = ? AND i.outcome = 'paid' AND i.kind = 'payment'",
            period,
        )

    async def report_shops(self, start: int, end: int) -> list[Row]:
        """Per shop and kind: receipts scanned in [start, end), and what has been paid of them."""
        return await self.conn.fetchall(
            "SELECT r.merchant_id, r.kind, COUNT(*) AS receipts, SUM(r.amount_cents) AS cents, "
            "SUM(CASE WHEN EXISTS (SELECT 1 FROM settlement_items i WHERE i.scan_key = r.scan_key "
            "AND i.merchant_id = r.merchant_id AND i.outcome = 'paid') THEN r.amount_cents "
            "ELSE 0 END) AS paid_cents FROM ("
            "SELECT s.scan_key, s.merchant_id, s.kind, s.amount_cents FROM scans s "
            "WHERE s.status = 'accepted' AND s.scanned_at >= ? AND s.scanned_at < ? "
            "UNION ALL SELECT c.scan_key, c.merchant_id, s.kind, s.amount_cents "
            "FROM scan_copies c JOIN scans s ON s.scan_key = c.scan_key "
            "WHERE c.scanned_at >= ? AND c.scanned_at < ?) AS r "
            "GROUP BY r.merchant_id, r.kind ORDER BY r.merchant_id, r.kind",
            start,
            end,
            start,
            end,
        )

    async def report_rejected(self, start: int, end: int) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT code, COUNT(*) AS n FROM scans WHERE status = 'rejected' "
            "AND scanned_at >= ? AND scanned_at < ? GROUP BY code ORDER BY code",
            start,
            end,
        )

    async def report_findings(self, start: int, end: int) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT kind, COALESCE(decision, 'pending') AS decision, COUNT(*) AS n, "
            "SUM(amount_cents) AS cents FROM findings WHERE detected_at >= ? AND detected_at < ? "
            "GROUP BY kind, COALESCE(decision, 'pending') ORDER BY kind, decision",
            start,
            end,
        )

    async def report_vouchers(self, start: int, end: int) -> Row:
        return await self.conn.fetchone(
            "SELECT COUNT(*) AS vouchers, COALESCE(SUM(amount_cents), 0) AS cents "
            "FROM vouchers WHERE issued_at >= ? AND issued_at < ?",
            start,
            end,
        )

    async def report_settlements(self, start: int, end: int) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT settlement_id, until_ts, created_at, payments, total_cents, withheld, "
            "withheld_cents FROM settlements WHERE created_at >= ? AND created_at < ? "
            "ORDER BY settlement_id",
            start,
            end,
        )

    async def revoked_voucher_ctis(self, now: int) -> list[bytes]:
        """Revoked vouchers still valid (for the trust list)."""
        rows = await self.conn.fetchall(
            "SELECT cti FROM vouchers WHERE revoked_at IS NOT NULL AND exp > ?", now
        )
        return [bytes(r[0]) for r in rows]


__all__ = ["RECONCILE_LOCK", "LedgerQueries"]

"""The admin console's SQL: accounts, sessions, the audit log and the console's listings.

``AdminQueries`` (``q.console``) runs on the connection of a ``Queries``, so a console
action and its audit entry are written in one transaction (an action without
its audit line cannot happen). The audit log is append-only: this module has
no UPDATE or DELETE for it, and each entry carries a SHA-256 chained to the
previous one, so an edited or removed line shows in ``verify_audit_chain``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from server.db.seam import Row
from server.storage.core import MEMBER_ACTIVE, Queries

AUDIT_LOCK = 7_700_003
GENESIS = b"\x00" * 32


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: int
    actor: str | None
    action: str
    target: str | None
    detail: dict[str, Any]


def audit_hash(prev: bytes, entry: AuditEntry) -> bytes:
    canonical = json.dumps(
        [entry.seq, entry.at, entry.actor, entry.action, entry.target, entry.detail],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    return hashlib.sha256(prev + canonical).digest()


class AdminQueries:
    """The console's statements, on the connection of a ``Queries`` (same transaction).

    Reached as ``q.console``.
    """

    def __init__(self, q: Queries) -> None:
        self.conn = q.conn
        self.db = q.db

    # -- accounts ------------------------------------------------------------------

    async def insert_admin_user(self, email: str, password_hash: str, role: str, now: int) -> int:
        return await self.conn.execute(
            "INSERT INTO admin_users (email, password_hash, role, created_at, "
            "password_changed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
            email,
            password_hash,
            role,
            now,
            now,
        )

    async def set_admin_password(
        self, email: str, password_hash: str, role: str | None, now: int
    ) -> int:
        """New password (and role): every open session of the account ends."""
        changed = await self.conn.execute(
            "UPDATE admin_users SET password_hash = ?, role = COALESCE(?, role), "
            "password_changed_at = ?, disabled_at = NULL WHERE email = ?",
            password_hash,
            role,
            now,
            email,
        )
        await self.conn.execute("DELETE FROM admin_sessions WHERE email = ?", email)
        return changed

    async def admin_user(self, email: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT email, password_hash, role, created_at, last_login_at, disabled_at "
            "FROM admin_users WHERE email = ?",
            email,
        )

    async def admin_users(self) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT email, role, created_at, last_login_at, disabled_at FROM admin_users "
            "ORDER BY email"
        )

    async def reset_admin_password(self, email: str, password_hash: str, now: int) -> int:
        """A new password set from the console (disabled stays disabled); sessions end."""
        changed = await self.conn.execute(
            "UPDATE admin_users SET password_hash = ?, password_changed_at = ? WHERE email = ?",
            password_hash,
            now,
            email,
        )
        await self.conn.execute("DELETE FROM admin_sessions WHERE email = ?", email)
        return changed

    async def set_admin_disabled(self, email: str, disabled_at: int | None) -> int:
        """Disable (a time) or enable (None) an account; disabling ends its sessions."""
        if disabled_at is None:
            return await self.conn.execute(
                "UPDATE admin_users SET disabled_at = NULL WHERE email = ? "
                "AND disabled_at IS NOT NULL",
                email,
            )
        changed = await self.conn.execute(
            "UPDATE admin_users SET disabled_at = ? WHERE email = ? AND disabled_at IS NULL",
            disabled_at,
            email,
        )
        await self.conn.execute("DELETE FROM admin_sessions WHERE email = ?", email)
        return changed

    async def admin_logged_in(self, email: str, now: int) -> None:
        await self.conn.execute(
            "UPDATE admin_users SET last_login_at = ? WHERE email = ?", now, email
        )

    # -- sessions ------------------------------------------------------------------

    async def insert_admin_session(
        self, sid_hash: bytes, email: str, csrf_token: str, now: int, expires_at: int
    ) -> None:
        await self.conn.execute(
            "DELETE FROM admin_sessions WHERE expires_at <= ?", now
        )  # housekeeping on each login keeps the table small
        await self.conn.execute(
            "INSERT INTO admin_sessions (sid_hash, email, csrf_token, created_at, seen_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            sid_hash,
            email,
            csrf_token,
            now,
            now,
            expires_at,
        )

    async def admin_session(self, sid_hash: bytes) -> Row | None:
        """The session and its account (None once the account is disabled)."""
        return await self.conn.fetchone(
            "SELECT s.email, s.csrf_token, s.created_at, s.seen_at, s.expires_at, u.role "
            "FROM admin_sessions s JOIN admin_users u ON u.email = s.email "
            "WHERE s.sid_hash = ? AND u.disabled_at IS NULL",
            sid_hash,
        )

    async def touch_admin_session(self, sid_hash: bytes, now: int) -> None:
        await self.conn.execute(
            "UPDATE admin_sessions SET seen_at = ? WHERE sid_hash = ?", now, sid_hash
        )

    async def delete_admin_session(self, sid_hash: bytes) -> None:
        await self.conn.execute("DELETE FROM admin_sessions WHERE sid_hash = ?", sid_hash)

    # -- audit log -----------------------------------------------------------------

    async def append_audit(
        self,
        *,
        actor: str | None,
        action: str,
        target: str | None,
        detail: dict[str, Any] | None,
        now: int,
    ) -> AuditEntry:
        await self.db.lock(self.conn, AUDIT_LOCK)
        last = await self.conn.fetchone(
            "SELECT seq, entry_hash FROM admin_audit ORDER BY seq DESC LIMIT 1"
        )
        seq = last["seq"] + 1 if last else 1
        prev = bytes(last["entry_hash"]) if last else GENESIS
        entry = AuditEntry(seq, now, actor, action, target, detail or {})
        await self.conn.execute(
            "INSERT INTO admin_audit (seq, at, actor, action, target, detail, prev_hash, "
            "entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            seq,
            now,
            actor,
            action,
            target,
            json.dumps(entry.detail, sort_keys=True, ensure_ascii=False),
            prev,
            audit_hash(prev, entry),
        )
        return entry

    async def audit_page(
        self, *, limit: int, offset: int, actor: str | None = None, action: str | None = None
    ) -> tuple[list[Row], int]:
        where, args = self._audit_filter(actor, action)
        total = await self.conn.fetchval(f"SELECT COUNT(*) FROM admin_audit{where}", *args)
        rows = await self.conn.fetchall(
            f"SELECT seq, at, actor, action, target, detail FROM admin_audit{where} "
            "ORDER BY seq DESC LIMIT ? OFFSET ?",
            *args,
            limit,
            offset,
        )
        return rows, int(total)

    @staticmethod
    def _audit_filter(actor: str | None, action: str | None) -> tuple[str, list[Any]]:
        clauses, args = [], []
        if actor:
            clauses.append("actor = ?")
            args.append(actor)
        if action:
            clauses.append("action = ?")
            args.append(action)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), args

    async def audit_chain(self) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT seq, at, actor, action, target, detail, prev_hash, entry_hash "
            "FROM admin_audit ORDER BY seq"
        )

    # -- members -------------------------------------------------------------------

    async def member_listing(
        self,
        *,
        status: str | None = None,
        language: str | None = None,
        code_expired_at: int | None = None,
    ) -> list[Row]:
        """Members for a list or an export, oldest first, with their letter language and
        when their activation code runs out; ``code_expired_at``: only members who never
        activated and hold no code still valid at that instant (they need a new letter)."""
        clauses: list[str] = []
        args: list[Any] = []
        if status:
            clauses.append("m.status = ?")
            args.append(status)
        if language:
            clauses.append("m.language = ?")
            args.append(language)
        if code_expired_at is not None:
            clauses.append(
                "m.status = 'pending' AND NOT EXISTS (SELECT 1 FROM codes c WHERE c.kind = "
                "'member' AND c.subject_id = m.member_id AND c.used_at IS NULL AND "
                "c.expires_at > ?)"
            )
            args.append(code_expired_at)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        return await self.conn.fetchall(
            "SELECT m.member_id, m.name, m.email, m.language, m.status, m.created_at, "
            "m.activated_at, m.revoked_at, (SELECT MAX(c.expires_at) FROM codes c WHERE "
            "c.kind = 'member' AND c.subject_id = m.member_id AND c.used_at IS NULL) "
            f"AS code_expires_at FROM members m{where} ORDER BY m.created_at, m.member_id",
            *args,
        )

    async def member_language(self, member_id: str) -> str | None:
        return await self.conn.fetchval(
            "SELECT language FROM members WHERE member_id = ?", member_id
        )

    async def set_member_language(self, member_id: str, language: str) -> None:
        await self.conn.execute(
            "UPDATE members SET language = ? WHERE member_id = ?", language, member_id
        )

    async def detach_member_key(self, member_id: str) -> int:
        """Forget the wallet key of a member (lost phone): it can no longer sign requests."""
        return await self.conn.execute(
            "UPDATE members SET public_key = NULL, status = 'pending' "
            "WHERE member_id = ? AND status = ?",
            member_id,
            MEMBER_ACTIVE,
        )

    async def member_credentials(self, member_id: str) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT cti, period, nbf, exp, allowance_cents, issuer_kid, issued_at, revoked_at "
            "FROM credentials WHERE member_id = ? ORDER BY issued_at DESC",
            member_id,
        )

    async def member_payments(self, sub: bytes, limit: int = 200) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT s.merchant_id, m.name AS merchant_name, s.batch_id, s.status, s.code, "
            "s.kind, s.seq, s.amount_cents, s.cumulative_cents, s.iat, s.scanned_at, "
            "s.received_at FROM scans s LEFT JOIN merchants m ON m.merchant_id = s.merchant_id "
            "WHERE s.member_sub = ? ORDER BY s.scanned_at DESC LIMIT ?",
            sub,
            limit,
        )

    async def member_counts(self) -> dict[str, int]:
        rows = await self.conn.fetchall("SELECT status, COUNT(*) FROM members GROUP BY status")
        return {row[0]: int(row[1]) for row in rows}

    # -- shops and batches ---------------------------------------------------------

    async def merchant_overview(self) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT m.merchant_id, m.name, m.iban, m.status, m.created_at, "
            "(SELECT COUNT(*) FROM merchant_devices d WHERE d.merchant_id = m.merchant_id "
            "AND d.revoked_at IS NULL) AS devices, "
            "(SELECT MAX(b.received_at) FROM batches b WHERE b.merchant_id = m.merchant_id) "
            "AS last_batch_at FROM merchants m ORDER BY m.name, m.merchant_id"
        )

    async def merchant_devices(self, merchant_id: str) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT public_key, enrolled_at, revoked_at, "
            "(SELECT MAX(b.received_at) FROM batches b WHERE b.merchant_id = "
            "merchant_devices.merchant_id AND b.device_key = merchant_devices.public_key) "
            "AS last_upload_at FROM merchant_devices WHERE merchant_id = ? ORDER BY enrolled_at",
            merchant_id,
        )

    async def batch_page(
        self, *, merchant_id: str | None, limit: int, offset: int
    ) -> tuple[list[Row], int]:
        where, args = (" WHERE b.merchant_id = ?", [merchant_id]) if merchant_id else ("", [])
        total = await self.conn.fetchval(f"SELECT COUNT(*) FROM batches b{where}", *args)
        rows = await self.conn.fetchall(
            "SELECT b.merchant_id, m.name AS merchant_name, b.batch_id, b.received_at, b.scans, "
            "b.received, b.duplicates, b.rejected FROM batches b "
            f"JOIN merchants m ON m.merchant_id = b.merchant_id{where} "
            "ORDER BY b.received_at DESC, b.batch_id LIMIT ? OFFSET ?",
            *args,
            limit,
            offset,
        )
        return rows, int(total)

    async def rejections_by_code(self, since: int, merchant_id: str | None = None) -> list[Row]:
        extra, args = (" AND merchant_id = ?", [merchant_id]) if merchant_id else ("", [])
        return await self.conn.fetchall(
            "SELECT code, COUNT(*) AS n FROM scans WHERE status = 'rejected' AND received_at >= ?"
            f"{extra} GROUP BY code ORDER BY n DESC, code",
            since,
            *args,
        )

    async def batch_scans(self, merchant_id: str, batch_id: str) -> list[Row]:
        """The batch's tokens as stored, and its refusals of tokens stored before (another
        shop's, or refused earlier): every refusal of the batch, with its reason."""
        return await self.conn.fetchall(
            "SELECT status, code, message, kind, seq, amount_cents, cumulative_cents, "
            "scanned_at, member_sub, scan_key FROM scans WHERE merchant_id = ? AND batch_id = ? "
            "UNION ALL SELECT 'rejected', r.code, r.message, s.kind, s.seq, s.amount_cents, "
            "s.cumulative_cents, r.scanned_at, s.member_sub, r.scan_key FROM scan_refusals r "
            "JOIN scans s ON s.scan_key = r.scan_key WHERE r.merchant_id = ? AND r.batch_id = ? "
            "ORDER BY scanned_at, scan_key",
            merchant_id,
            batch_id,
            merchant_id,
            batch_id,
        )

    async def batches_since(self, since: int) -> int:
        return int(
            await self.conn.fetchval("SELECT COUNT(*) FROM batches WHERE received_at >= ?", since)
        )

    # -- money over months (dashboard chart) ---------------------------------------

    async def allowance_by_period(self, periods: Sequence[str]) -> dict[str, tuple[int, int]]:
        """{period: (issued cents, spent cents)} for the given months.

        Issued counts the credentials in force plus what was spent on replaced
        (revoked) ones, so a member who changed phone is not counted twice.
        """
        if not periods:
            return {}
        marks = ", ".join("?" * len(periods))
        issued_rows = await self.conn.fetchall(
            f"SELECT period, SUM(allowance_cents) FROM credentials WHERE period IN ({marks}) "
            "AND revoked_at IS NULL GROUP BY period",
            *periods,
        )
        spent_rows = await self.conn.fetchall(
            "SELECT c.period, CASE WHEN c.revoked_at IS NULL THEN 0 ELSE 1 END AS replaced, "
            "SUM(x.spent) FROM (SELECT cti, MAX(cumulative_cents) AS spent FROM scans "
            "WHERE status = 'accepted' AND kind = 'payment' GROUP BY cti) x "
            f"JOIN credentials c ON c.cti = x.cti WHERE c.period IN ({marks}) "
            "GROUP BY c.period, CASE WHEN c.revoked_at IS NULL THEN 0 ELSE 1 END",
            *periods,
        )
        out = {p: [0, 0] for p in periods}
        for period, total in issued_rows:
            out[period][0] += int(total or 0)
        for period, replaced, spent in spent_rows:
            out[period][1] += int(spent or 0)
            if replaced:
                out[period][0] += int(spent or 0)
        return {p: (v[0], v[1]) for p, v in out.items()}

    async def received_and_paid_by_period(
        self, periods: Sequence[str]
    ) -> dict[str, tuple[int, int]]:
        """{period: (cents the caisse received, cents it paid the shops)} for payments on
        the credentials of each month: receipts the shops sent (a token two shops accepted
        is two receipts), not a wallet's ``cum`` (which counts a QR no till ever scanned)."""
        if not periods:
            return {}
        marks = ", ".join("?" * len(periods))
        received = await self.conn.fetchall(
            "SELECT k.period, SUM(x.amount_cents) FROM (SELECT s.cti, s.amount_cents "
            "FROM scans s WHERE s.status = 'accepted' AND s.kind = 'payment' "
            "UNION ALL SELECT s.cti, s.amount_cents FROM scan_copies c "
            "JOIN scans s ON s.scan_key = c.scan_key WHERE s.kind = 'payment') AS x "
            f"JOIN credentials k ON k.cti = x.cti WHERE k.period IN ({marks}) GROUP BY k.period",
            *periods,
        )
        paid = await self.conn.fetchall(
            "SELECT k.period, SUM(i.amount_cents) FROM settlement_items i "
            "JOIN scans s ON s.scan_key = i.scan_key JOIN credentials k ON k.cti = s.cti "
            f"WHERE i.outcome = 'paid' AND i.kind = 'payment' AND k.period IN ({marks}) "
            "GROUP BY k.period",
            *periods,
        )
        out = {p: [0, 0] for p in periods}
        for period, cents in received:
            out[period][0] = int(cents or 0)
        for period, cents in paid:
            out[period][1] = int(cents or 0)
        return {p: (v[0], v[1]) for p, v in out.items()}

    async def member_received(self, member_id: str) -> dict[bytes, dict[str, int]]:
        """Per credential of the member: the highest payment n° the caisse received (the
        phone's count, give or take the QR codes no till scanned), how many, their cents,
        and what of them was paid to the shops."""
        rows = await self.conn.fetchall(
            "SELECT s.cti, MAX(s.seq) AS last_seq, COUNT(*) AS payments, "
            "SUM(s.amount_cents) AS cents, SUM(CASE WHEN EXISTS (SELECT 1 FROM "
            "settlement_items i WHERE i.scan_key = s.scan_key AND i.merchant_id = s.merchant_id "
            "AND i.outcome = 'paid') THEN s.amount_cents ELSE 0 END) AS paid_cents "
            "FROM scans s JOIN credentials k ON k.cti = s.cti WHERE k.member_id = ? "
            "AND s.status = 'accepted' AND s.kind = 'payment' GROUP BY s.cti",
            member_id,
        )
        return {
            bytes(r["cti"]): {
                "last_seq": int(r["last_seq"] or 0),
                "payments": int(r["payments"]),
                "received_cents": int(r["cents"] or 0),
                "paid_cents": int(r["paid_cents"] or 0),
            }
            for r in rows
        }

    async def trust_list_history(self, limit: int) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT seq, issued_at, expires_at, reason FROM trust_lists ORDER BY seq DESC LIMIT ?",
            limit,
        )


__all__ = ["AUDIT_LOCK", "AdminQueries", "AuditEntry", "audit_hash"]

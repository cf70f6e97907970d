"""The storage layer's core: ``Storage``, and ``Queries`` with the caisse's own SQL.

``Storage.read()`` and ``Storage.transaction()`` yield a ``Queries`` bound to
one connection, so a service composes several steps (revoke a member, re-sign
the trust list) in one transaction. Each query family is reached from it the
same way — ``q.intake``, ``q.ledger``, ``q.console``, ``q.democracy``, ``q.failures``,
``q.households``, ``q.contributions``, ``q.vouchers`` — on the same connection.
The SQL is written once for SQLite and PostgreSQL (see ``server.db.seam``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from server.db.migrations import migrate
from server.db.seam import Connection, Database, Row

if TYPE_CHECKING:  # the families import this module: theirs are imported when first used
    from server.storage.console import AdminQueries
    from server.storage.contributions import ContributionQueries
    from server.storage.democracy import DemocracyQueries
    from server.storage.failures import FailureQueries
    from server.storage.households import HouseholdQueries
    from server.storage.intake import IntakeQueries
    from server.storage.ledger import LedgerQueries
    from server.storage.planning import PlanningQueries
    from server.storage.vouchers import VoucherQueries

TRUST_LIST_LOCK = 7_700_002
MEMBER_ACTIVE, MEMBER_PENDING, MEMBER_REVOKED = "active", "pending", "revoked"
MERCHANT_ACTIVE, MERCHANT_SUSPENDED = "active", "suspended"
MERCHANT_WITHDRAWN = "withdrawn"  # by a members' decision: receipts refused from a date on


@dataclass(frozen=True, slots=True)
class ScanRow:
    """One received token, accepted or rejected, as stored for reconciliation."""

    scan_key: bytes
    token_id: bytes | None
    status: str
    code: str
    message: str
    kind: str | None
    token: bytes | None
    qr: str | None
    cti: bytes | None
    member_sub: bytes | None
    seq: int | None
    amount_cents: int | None
    cumulative_cents: int | None
    iat: int | None
    aud: str | None
    scanned_at: int
    trust_list_seq: int | None
    scanner_result: str | None
    till_list_seq: int | None = None  # the list the till says it judged with (SPEC 1.1 §8)
    judged_by: str | None = None  # which list the server used: till, in_force or upload
    revoked_by_seq: int | None = None  # honoured under the till's list, revoked by this one

    def values(self, merchant_id: str, batch_id: str, received_at: int) -> tuple[object, ...]:
        """The row's values in ``SCAN_COLUMNS`` order."""
        return (
            self.scan_key,
            self.token_id,
            self.status,
            self.code,
            self.message,
            self.kind,
            self.token,
            self.qr,
            self.cti,
            self.member_sub,
            self.seq,
            self.amount_cents,
            self.cumulative_cents,
            self.iat,
            self.aud,
            merchant_id,
            batch_id,
            self.scanned_at,
            received_at,
            self.trust_list_seq,
            self.scanner_result,
            self.till_list_seq,
            self.judged_by,
            self.revoked_by_seq,
        )


SCAN_COLUMNS = (
    "scan_key, token_id, status, code, message, kind, token, qr, cti, member_sub, seq, "
    "amount_cents, cumulative_cents, iat, aud, merchant_id, batch_id, scanned_at, "
    "received_at, trust_list_seq, scanner_result, till_list_seq, judged_by, revoked_by_seq"
)
_SHOP_DETAILS = "language, address, hours, scope"
_SHOP_EDITABLE = ("name", "iban", "bic", "language", "address", "hours", "scope")
SCAN_TYPES = (
    *("bytea", "bytea", "text", "text", "text", "text", "bytea", "text", "bytea", "bytea"),
    *("bigint", "bigint", "bigint", "bigint", "text", "text", "text", "bigint", "bigint"),
    *("bigint", "text", "bigint", "text", "bigint"),
)


class Queries:
    """The server's SQL on one connection (inside a read or a transaction).

    Members, merchants, credentials, trust lists and scans here; the other
    families as attributes, each bound to this same connection.
    """

    def __init__(self, conn: Connection, db: Database) -> None:
        self.conn = conn
        self.db = db

    @cached_property
    def ledger(self) -> LedgerQueries:
        """Reconciliation, settlements, findings, statements, vouchers, reports."""
        from server.storage.ledger import LedgerQueries

        return LedgerQueries(self)

    @cached_property
    def intake(self) -> IntakeQueries:
        """Batch intake: batch contents, tills' history, refusals, stored verdicts."""
        from server.storage.intake import IntakeQueries

        return IntakeQueries(self)

    @cached_property
    def console(self) -> AdminQueries:
        """The admin console: accounts, sessions, the audit log, its listings."""
        from server.storage.console import AdminQueries

        return AdminQueries(self)

    @cached_property
    def democracy(self) -> DemocracyQueries:
        """Proposals, ballots, panels, the charter and the decisions log."""
        from server.storage.democracy import DemocracyQueries

        return DemocracyQueries(self)

    @cached_property
    def failures(self) -> FailureQueries:
        """Failure counters (wrong one-time codes, wrong admin passwords)."""
        from server.storage.failures import FailureQueries

        return FailureQueries(self)

    @cached_property
    def households(self) -> HouseholdQueries:
        """Households, their members' shares of the allowance, contribution choices."""
        from server.storage.households import HouseholdQueries

        return HouseholdQueries(self)

    @cached_property
    def contributions(self) -> ContributionQueries:
        """Contributions received: bank statements, mandates, debits, cash, subsidies, books."""
        from server.storage.contributions import ContributionQueries

        return ContributionQueries(self)

    @cached_property
    def planning(self) -> PlanningQueries:
        """The money recorded before a month, for the runway."""
        from server.storage.planning import PlanningQueries

        return PlanningQueries(self)

    @cached_property
    def vouchers(self) -> VoucherQueries:
        """Paper vouchers: members' channels, monthly sheets, what became of each voucher."""
        from server.storage.vouchers import VoucherQueries

        return VoucherQueries(self)

    async def ping(self) -> None:
        await self.conn.fetchval("SELECT 1")

    async def lock_trust_list(self) -> None:
        await self.db.lock(self.conn, TRUST_LIST_LOCK)

    # -- meta ------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        return await self.conn.fetchval("SELECT value FROM meta WHERE key = ?", key)

    async def set_meta(self, key: str, value: str) -> None:
        await self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            key,
            value,
        )

    # -- issuer keys and trust lists ---------------------------------------------

    async def add_issuer_key(self, kid: bytes, public_key: bytes, file: str, now: int) -> None:
        await self.conn.execute(
            "INSERT INTO issuer_keys (kid, public_key, file, not_before) VALUES (?, ?, ?, ?)",
            kid,
            public_key,
            file,
            now,
        )

    async def retire_issuer_keys(self, except_kid: bytes, now: int, not_after: int) -> int:
        return await self.conn.execute(
            "UPDATE issuer_keys SET retired_at = ?, not_after = ? "
            "WHERE retired_at IS NULL AND kid <> ?",
            now,
            not_after,
            except_kid,
        )

    async def issuer_keys(self) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT kid, public_key, file, not_before, retired_at, not_after "
            "FROM issuer_keys ORDER BY not_before, kid"
        )

    async def active_issuer_key(self) -> Row | None:
        return await self.conn.fetchone(
            "SELECT kid, public_key, file, not_before FROM issuer_keys "
            "WHERE retired_at IS NULL ORDER BY not_before DESC LIMIT 1"
        )

    async def latest_trust_list(self) -> Row | None:
        return await self.conn.fetchone(
            "SELECT seq, issued_at, expires_at, reason, body FROM trust_lists "
            "ORDER BY seq DESC LIMIT 1"
        )

    async def trust_list_body(self, seq: int) -> bytes | None:
        return await self.conn.fetchval("SELECT body FROM trust_lists WHERE seq = ?", seq)

    async def trust_list_windows(self) -> list[tuple[int, int, int]]:
        """(seq, issued_at, expires_at) of every list signed, in seq order."""
        rows = await self.conn.fetchall(
            "SELECT seq, issued_at, expires_at FROM trust_lists ORDER BY seq"
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def trust_list_index(self) -> list[tuple[int, int]]:
        rows = await self.conn.fetchall("SELECT seq, issued_at FROM trust_lists ORDER BY seq")
        return [(row[0], row[1]) for row in rows]

    async def insert_trust_list(
        self, seq: int, issued_at: int, expires_at: int, reason: str, body: bytes
    ) -> None:
        await self.conn.execute(
            "INSERT INTO trust_lists (seq, issued_at, expires_at, reason, body) "
            "VALUES (?, ?, ?, ?, ?)",
            seq,
            issued_at,
            expires_at,
            reason,
            body,
        )

    async def revoked_member_subs(self, since: int) -> list[bytes]:
        rows = await self.conn.fetchall(
            "SELECT sub FROM members WHERE status = ? AND revoked_at >= ?", MEMBER_REVOKED, since
        )
        return [row[0] for row in rows]

    async def revoked_credential_ctis(self, now: int) -> list[bytes]:
        rows = await self.conn.fetchall(
            "SELECT cti FROM credentials WHERE revoked_at IS NOT NULL AND exp > ?", now
        )
        return [row[0] for row in rows]

    # -- members -----------------------------------------------------------------

    async def insert_member(
        self,
        member_id: str,
        sub: bytes,
        name: str,
        email: str | None,
        external_ref: str | None,
        now: int,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO members (member_id, sub, name, email, external_ref, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            member_id,
            sub,
            name,
            email,
            external_ref,
            MEMBER_PENDING,
            now,
        )

    async def member(self, member_id: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT member_id, sub, name, email, external_ref, public_key, status, created_at, "
            "activated_at, revoked_at FROM members WHERE member_id = ?",
            member_id,
        )

    async def update_member(
        self, member_id: str, *, name: str, email: str | None, language: str | None
    ) -> int:
        """A member's own details, as the caisse corrects them (never their keys or status)."""
        return await self.conn.execute(
            "UPDATE members SET name = ?, email = ?, language = ? WHERE member_id = ?",
            name,
            email,
            language,
            member_id,
        )

    async def member_by_key(self, public_key: bytes) -> Row | None:
        return await self.conn.fetchone(
            "SELECT member_id, sub, status FROM members WHERE public_key = ?", public_key
        )

    async def members(self) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT member_id, name, email, external_ref, status, created_at, activated_at, "
            "revoked_at FROM members ORDER BY created_at, member_id"
        )

    async def activate_member(self, member_id: str, public_key: bytes, now: int) -> int:
        return await self.conn.execute(
            "UPDATE members SET public_key = ?, status = ?, activated_at = ? "
            "WHERE member_id = ? AND status <> ?",
            public_key,
            MEMBER_ACTIVE,
            now,
            member_id,
            MEMBER_REVOKED,
        )

    async def revoke_member(self, member_id: str, now: int) -> int:
        return await self.conn.execute(
            "UPDATE members SET status = ?, revoked_at = ? WHERE member_id = ? AND status <> ?",
            MEMBER_REVOKED,
            now,
            member_id,
            MEMBER_REVOKED,
        )

    async def key_in_use(self, public_key: bytes) -> bool:
        member = await self.conn.fetchval("SELECT 1 FROM members WHERE public_key = ?", public_key)
        device = await self.conn.fetchval(
            "SELECT 1 FROM merchant_devices WHERE public_key = ?", public_key
        )
        return bool(member or device)

    # -- one-time codes ------------------------------------------------------------

    async def insert_code(
        self, code_hash: bytes, kind: str, subject_id: str, now: int, expires_at: int
    ) -> None:
        await self.conn.execute(
            "INSERT INTO codes (code_hash, kind, subject_id, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            code_hash,
            kind,
            subject_id,
            now,
            expires_at,
        )

    async def cancel_codes(self, kind: str, subject_id: str, now: int) -> int:
        """Spend every unused code of a subject (a new code replaces the old ones)."""
        return await self.conn.execute(
            "UPDATE codes SET used_at = ? WHERE kind = ? AND subject_id = ? AND used_at IS NULL",
            now,
            kind,
            subject_id,
        )

    async def code_subject(self, code_hash: bytes, kind: str, now: int) -> str | None:
        """The subject of a code that still works (unused, not expired), without spending it."""
        return await self.conn.fetchval(
            "SELECT subject_id FROM codes WHERE code_hash = ? AND kind = ? "
            "AND used_at IS NULL AND expires_at > ?",
            code_hash,
            kind,
            now,
        )

    async def take_code(self, code_hash: bytes, kind: str, now: int) -> str | None:
        """Spend a valid code once; its subject, or None (unknown, used or expired)."""
        return await self.conn.fetchval(
            "UPDATE codes SET used_at = ? WHERE code_hash = ? AND kind = ? "
            "AND used_at IS NULL AND expires_at > ? RETURNING subject_id",
            now,
            code_hash,
            kind,
            now,
        )

    # -- merchants -----------------------------------------------------------------

    async def insert_merchant(
        self, merchant_id: str, name: str, iban: str, bic: str | None, now: int
    ) -> int:
        return await self.conn.execute(
            "INSERT INTO merchants (merchant_id, name, iban, bic, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (merchant_id) DO NOTHING",
            merchant_id,
            name,
            iban,
            bic,
            MERCHANT_ACTIVE,
            now,
        )

    async def merchant(self, merchant_id: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT merchant_id, name, iban, bic, status, created_at, suspended_at, "
            f"{_SHOP_DETAILS} FROM merchants WHERE merchant_id = ?",
            merchant_id,
        )

    async def merchants(self) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT merchant_id, name, iban, bic, status, created_at, suspended_at, "
            f"{_SHOP_DETAILS} FROM merchants ORDER BY created_at, merchant_id"
        )

    async def update_merchant(self, merchant_id: str, fields: dict[str, str | None]) -> int:
        """Set a shop's editable fields (name, bank account, details); its id never changes."""
        names = [name for name in fields if name in _SHOP_EDITABLE]
        if not names or len(names) != len(fields):
            raise ValueError(f"not editable: {sorted(set(fields) - set(_SHOP_EDITABLE))}")
        assignments = ", ".join(f"{name} = ?" for name in names)
        return await self.conn.execute(
            f"UPDATE merchants SET {assignments} WHERE merchant_id = ?",
            *(fields[name] for name in names),
            merchant_id,
        )

    async def set_merchant_status(self, merchant_id: str, status: str, now: int) -> int:
        suspended_at = now if status == MERCHANT_SUSPENDED else None
        return await self.conn.execute(
            "UPDATE merchants SET status = ?, suspended_at = ? WHERE merchant_id = ?",
            status,
            suspended_at,
            merchant_id,
        )

    async def insert_device(self, public_key: bytes, merchant_id: str, now: int) -> None:
        await self.conn.execute(
            "INSERT INTO merchant_devices (public_key, merchant_id, enrolled_at) VALUES (?, ?, ?)",
            public_key,
            merchant_id,
            now,
        )

    async def device(self, public_key: bytes) -> Row | None:
        return await self.conn.fetchone(
            "SELECT d.merchant_id, d.revoked_at, m.status FROM merchant_devices d "
            "JOIN merchants m ON m.merchant_id = d.merchant_id WHERE d.public_key = ?",
            public_key,
        )

    async def devices_of(self, merchant_id: str) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT public_key, enrolled_at, revoked_at FROM merchant_devices "
            "WHERE merchant_id = ? ORDER BY enrolled_at, public_key",
            merchant_id,
        )

    async def revoke_device(self, merchant_id: str, public_key: bytes, now: int) -> int:
        """Refuse this scanner key from now on (0 if unknown, another shop's, or revoked)."""
        return await self.conn.execute(
            "UPDATE merchant_devices SET revoked_at = ? "
            "WHERE public_key = ? AND merchant_id = ? AND revoked_at IS NULL",
            now,
            public_key,
            merchant_id,
        )

    # -- credentials ---------------------------------------------------------------

    async def credentials_of(self, member_id: str, period: str) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT cti, period, nbf, exp, member_public_key, cose FROM credentials "
            "WHERE member_id = ? AND period = ? AND revoked_at IS NULL ORDER BY issued_at",
            member_id,
            period,
        )

    async def insert_credential(
        self,
        *,
        cti: bytes,
        member_id: str,
        period: str,
        nbf: int,
        exp: int,
        allowance_cents: int,
        issuer_kid: bytes,
        member_public_key: bytes,
        cose: bytes,
        now: int,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO credentials (cti, member_id, period, nbf, exp, allowance_cents, "
            "issuer_kid, member_public_key, cose, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            cti,
            member_id,
            period,
            nbf,
            exp,
            allowance_cents,
            issuer_kid,
            member_public_key,
            cose,
            now,
        )

    async def revoke_credentials_of(self, member_id: str, now: int) -> int:
        return await self.conn.execute(
            "UPDATE credentials SET revoked_at = ? "
            "WHERE member_id = ? AND revoked_at IS NULL AND exp > ?",
            now,
            member_id,
            now,
        )

    async def spent_in_period(self, member_id: str, period: str) -> int:
        """Cents already received on this member's credentials of ``period`` (max cum each)."""
        value = await self.conn.fetchval(
            "SELECT COALESCE(SUM(spent), 0) FROM (SELECT MAX(s.cumulative_cents) AS spent "
            "FROM scans s JOIN credentials c ON c.cti = s.cti "
            "WHERE c.member_id = ? AND c.period = ? AND s.status = 'accepted' "
            "AND s.kind = 'payment' GROUP BY s.cti) AS per_credential",
            member_id,
            period,
        )
        return int(value or 0)

    async def wallet_receipts(self, member_id: str, since: int, limit: int) -> list[Row]:
        """The payments received on this member's credentials ending after ``since``: one row
        per token, with its shop's name and whether a settlement paid it."""
        return await self.conn.fetchall(
            "SELECT s.cti, s.seq, s.amount_cents, s.status, s.code, s.scanned_at, "
            "s.merchant_id, m.name AS merchant_name, CASE WHEN EXISTS (SELECT 1 FROM "
            "settlement_items i WHERE i.scan_key = s.scan_key AND i.merchant_id = s.merchant_id "
            "AND i.outcome = 'paid') THEN 1 ELSE 0 END AS paid "
            "FROM scans s JOIN credentials c ON c.cti = s.cti "
            "LEFT JOIN merchants m ON m.merchant_id = s.merchant_id "
            "WHERE c.member_id = ? AND c.exp > ? AND s.kind = 'payment' "
            "ORDER BY s.scanned_at, s.seq LIMIT ?",
            member_id,
            since,
            limit,
        )

    # -- batches and scans -----------------------------------------------------------

    async def batch(self, merchant_id: str, batch_id: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT merchant_id, batch_id, received_at, scans, received, duplicates, rejected "
            "FROM batches WHERE merchant_id = ? AND batch_id = ?",
            merchant_id,
            batch_id,
        )

    async def existing_scan_keys(self, keys: Sequence[bytes]) -> set[bytes]:
        rows = await self.conn.fetch_in(
            "SELECT scan_key FROM scans WHERE {in}",
            column="scan_key",
            values=keys,
            sql_type="bytea",
        )
        return {bytes(row[0]) for row in rows}

    async def insert_scans(
        self, merchant_id: str, batch_id: str, received_at: int, scans: Iterable[ScanRow]
    ) -> set[bytes]:
        """Store new tokens; the scan keys really inserted (one already stored is skipped,
        also when a concurrent transaction stored it first)."""
        rows = [s.values(merchant_id, batch_id, received_at) for s in scans]
        inserted = await self.conn.insert_many_returning(
            f"INSERT INTO scans ({SCAN_COLUMNS}) {{rows}} ON CONFLICT (scan_key) DO NOTHING "
            "RETURNING scan_key",
            SCAN_TYPES,
            rows,
        )
        return {bytes(r[0]) for r in inserted}

    async def insert_batch(
        self,
        merchant_id: str,
        batch_id: str,
        device_key: bytes,
        received_at: int,
        counts: tuple[int, int, int, int],
    ) -> int:
        scans, received, duplicates, rejected = counts
        return await self.conn.execute(
            "INSERT INTO batches (merchant_id, batch_id, device_key, received_at, scans, "
            "received, duplicates, rejected) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (merchant_id, batch_id) DO NOTHING",
            merchant_id,
            batch_id,
            device_key,
            received_at,
            scans,
            received,
            duplicates,
            rejected,
        )

    async def scans_of_batch(self, merchant_id: str, batch_id: str) -> list[Row]:
        return await self.conn.fetchall(
            f"SELECT {SCAN_COLUMNS} FROM scans WHERE merchant_id = ? AND batch_id = ? "
            "ORDER BY scanned_at, scan_key",
            merchant_id,
            batch_id,
        )

    async def counts(self) -> dict[str, int]:
        """Row counts per table (status page, tests proving nothing was stored)."""
        out = {}
        for table in (
            "members",
            "merchants",
            "merchant_devices",
            "codes",
            "credentials",
            "batches",
            "scans",
            "trust_lists",
            "issuer_keys",
        ):
            out[table] = int(await self.conn.fetchval(f"SELECT COUNT(*) FROM {table}"))
        return out


class Storage:
    """The caisse's database: opened and migrated once, shared by the app and the CLI."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def open(self) -> None:
        await self.db.open()
        await migrate(self.db)

    async def close(self) -> None:
        await self.db.close()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Queries]:
        async with self.db.read() as conn:
            yield Queries(conn, self.db)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Queries]:
        async with self.db.transaction() as conn:
            yield Queries(conn, self.db)


__all__ = ["SCAN_COLUMNS", "SCAN_TYPES", "Queries", "ScanRow", "Storage"]

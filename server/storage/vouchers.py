"""Paper vouchers' SQL: members' channels, monthly sheets, their vouchers and what became of them.

``VoucherQueries`` (``q.vouchers``) runs on the connection of a ``Queries``. A
voucher is *redeemed* when a shop's batch brought an accepted receipt of it
(``scans``), *voided* when its sheet was (``revoked_at``, then listed in the trust
list's ``revoked_vouchers``), *expired* past its ``exp`` unredeemed, else outstanding.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.db.seam import Row
from server.storage.core import MEMBER_PENDING, MEMBER_REVOKED, Queries

SHEET_LOCK = 7_700_020
_SHEET = (
    "sheet_id, member_id, period, share_cents, amount_cents, vouchers, replaces, issued_at, "
    "issued_by, printed, printed_at, voided_at, voided_by, void_reason"
)
_REDEEMED = "(SELECT DISTINCT cti FROM scans WHERE status = 'accepted' AND kind = 'voucher')"


class VoucherQueries:
    """Reached as ``q.vouchers``."""

    def __init__(self, q: Queries) -> None:
        self.conn = q.conn
        self.db = q.db

    async def lock(self) -> None:
        await self.db.lock(self.conn, SHEET_LOCK)

    # -- channels ----------------------------------------------------------------------

    async def channel(self, member_id: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT member_id, status, channel, paper_cents FROM members WHERE member_id = ?",
            member_id,
        )

    async def set_channel(self, member_id: str, channel: str, paper_cents: int | None) -> int:
        return await self.conn.execute(
            "UPDATE members SET channel = ?, paper_cents = ? WHERE member_id = ?",
            channel,
            paper_cents,
            member_id,
        )

    async def paper_members(self, member_id: str | None = None) -> list[Row]:
        """Members not revoked whose channel is paper or both (one, or all by name)."""
        where = " AND member_id = ?" if member_id is not None else ""
        args: tuple = (MEMBER_REVOKED, member_id) if member_id is not None else (MEMBER_REVOKED,)
        return await self.conn.fetchall(
            "SELECT member_id, sub, name, status, channel, paper_cents, language FROM members "
            f"WHERE status <> ? AND channel IN ('paper', 'both'){where} "
            "ORDER BY name, member_id",
            *args,
        )

    async def channels(self) -> dict[str, tuple[str, int | None]]:
        """member id → (channel, paper cents) for members who chose other than the wallet."""
        rows = await self.conn.fetchall(
            "SELECT member_id, channel, paper_cents FROM members WHERE channel IS NOT NULL"
        )
        return {r["member_id"]: (r["channel"], r["paper_cents"]) for r in rows}

    async def live_credentials(self, member_id: str, now: int) -> int:
        """The member's wallet credentials not revoked nor expired (a channel change revokes
        them)."""
        value = await self.conn.fetchval(
            "SELECT COUNT(*) FROM credentials WHERE member_id = ? AND revoked_at IS NULL "
            "AND exp > ?",
            member_id,
            now,
        )
        return int(value or 0)

    async def letter_members(self, member_ids: Sequence[str] | None = None) -> list[Row]:
        """Members an activation letter is for: the named ones, else all still to activate
        who use a wallet (pending, channel not paper), by name."""
        columns = (
            "member_id, sub, name, status, channel, paper_cents, language, household_id, created_at"
        )
        if member_ids is not None:
            return await self.conn.fetch_in(
                f"SELECT {columns} FROM members WHERE {{in}} ORDER BY name, member_id",
                column="member_id",
                values=sorted(set(member_ids)),
                sql_type="text",
            )
        return await self.conn.fetchall(
            f"SELECT {columns} FROM members WHERE status = ? "
            "AND (channel IS NULL OR channel <> 'paper') ORDER BY name, member_id",
            MEMBER_PENDING,
        )

    # -- sheets ------------------------------------------------------------------------

    async def next_sheet_id(self) -> int:
        """The next number (call ``lock`` first, in the same transaction)."""
        value = await self.conn.fetchval("SELECT MAX(sheet_id) FROM voucher_sheets")
        return int(value or 0) + 1

    async def insert_sheet(
        self,
        *,
        sheet_id: int,
        member_id: str,
        period: str,
        share_cents: int,
        amount_cents: int,
        vouchers: int,
        replaces: int | None,
        actor: str | None,
        now: int,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO voucher_sheets (sheet_id, member_id, period, share_cents, amount_cents, "
            "vouchers, replaces, issued_at, issued_by, printed, printed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
            sheet_id,
            member_id,
            period,
            share_cents,
            amount_cents,
            vouchers,
            replaces,
            now,
            actor,
            now,
        )

    async def sheet(self, sheet_id: int) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {_SHEET} FROM voucher_sheets WHERE sheet_id = ?", sheet_id
        )

    async def sheet_in_force(self, member_id: str, period: str) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {_SHEET} FROM voucher_sheets WHERE member_id = ? AND period = ? "
            "AND voided_at IS NULL",
            member_id,
            period,
        )

    async def sheets(
        self, *, period: str | None = None, member_id: str | None = None, limit: int = 100_000
    ) -> list[Row]:
        clauses, args = [], []
        if period is not None:
            clauses.append("s.period = ?")
            args.append(period)
        if member_id is not None:
            clauses.append("s.member_id = ?")
            args.append(member_id)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        columns = ", ".join(f"s.{c.strip()}" for c in _SHEET.split(","))
        return await self.conn.fetchall(
            f"SELECT {columns}, m.name FROM voucher_sheets s "
            f"JOIN members m ON m.member_id = s.member_id{where} "
            "ORDER BY s.period DESC, m.name, s.member_id, s.sheet_id DESC LIMIT ?",
            *args,
            limit,
        )

    async def mark_printed(self, sheet_id: int, now: int) -> int:
        return await self.conn.execute(
            "UPDATE voucher_sheets SET printed = printed + 1, printed_at = ? WHERE sheet_id = ?",
            now,
            sheet_id,
        )

    async def void_sheet(self, sheet_id: int, actor: str | None, reason: str, now: int) -> int:
        """Void a sheet in force and each of its vouchers; 0 if it was already void."""
        done = await self.conn.execute(
            "UPDATE voucher_sheets SET voided_at = ?, voided_by = ?, void_reason = ? "
            "WHERE sheet_id = ? AND voided_at IS NULL",
            now,
            actor,
            reason,
            sheet_id,
        )
        if done:
            await self.conn.execute(
                "UPDATE vouchers SET revoked_at = ? WHERE sheet_id = ? AND revoked_at IS NULL",
                now,
                sheet_id,
            )
        return done

    # -- vouchers ----------------------------------------------------------------------

    async def insert_voucher(
        self,
        *,
        cti: bytes,
        amount_cents: int,
        nbf: int,
        exp: int,
        member_id: str,
        issuer_kid: bytes,
        sheet_id: int,
        position: int,
        period: str,
        serial: str,
        cose: bytes,
        now: int,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO vouchers (cti, amount_cents, nbf, exp, member_id, issuer_kid, issued_at, "
            "sheet_id, position, period, serial, cose) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            cti,
            amount_cents,
            nbf,
            exp,
            member_id,
            issuer_kid,
            now,
            sheet_id,
            position,
            period,
            serial,
            cose,
        )

    async def vouchers_of(self, sheet_ids: Sequence[int]) -> list[Row]:
        """The vouchers of these sheets in print order, each with whether a shop redeemed it."""
        return await self.conn.fetch_in(
            "SELECT v.cti, v.amount_cents, v.nbf, v.exp, v.sheet_id, v.position, v.period, "
            "v.serial, v.cose, v.revoked_at, CASE WHEN r.cti IS NULL THEN 0 ELSE 1 END "
            f"AS redeemed FROM vouchers v LEFT JOIN {_REDEEMED} r ON r.cti = v.cti "
            "WHERE {in} ORDER BY v.sheet_id, v.position",
            column="v.sheet_id",
            values=sorted(set(sheet_ids)),
            sql_type="bigint",
        )

    async def by_serial(self, serial: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT cti, sheet_id, member_id, period FROM vouchers WHERE serial = ?", serial
        )

    async def committed_cents(self, member_id: str, period: str) -> int:
        """The month's paper value a member holds or has spent: vouchers not voided, and voided
        ones a shop had already redeemed."""
        value = await self.conn.fetchval(
            "SELECT COALESCE(SUM(v.amount_cents), 0) FROM vouchers v "
            f"LEFT JOIN {_REDEEMED} r ON r.cti = v.cti "
            "WHERE v.member_id = ? AND v.period = ? "
            "AND (v.revoked_at IS NULL OR r.cti IS NOT NULL)",
            member_id,
            period,
        )
        return int(value or 0)

    async def month_totals(self, period: str) -> Row:
        """The month's sheets in the monthly report: issued, redeemed, voided, unredeemed."""
        return await self.conn.fetchone(
            "SELECT COUNT(*) AS issued, COALESCE(SUM(v.amount_cents), 0) AS issued_cents, "
            "COALESCE(SUM(CASE WHEN r.cti IS NOT NULL THEN v.amount_cents ELSE 0 END), 0) "
            "AS redeemed_cents, "
            "COALESCE(SUM(CASE WHEN r.cti IS NULL AND v.revoked_at IS NOT NULL "
            "THEN v.amount_cents ELSE 0 END), 0) AS voided_cents, "
            "COALESCE(SUM(CASE WHEN r.cti IS NULL AND v.revoked_at IS NULL "
            "THEN v.amount_cents ELSE 0 END), 0) AS unredeemed_cents, "
            "COUNT(DISTINCT v.member_id) AS members "
            f"FROM vouchers v LEFT JOIN {_REDEEMED} r ON r.cti = v.cti WHERE v.period = ?",
            period,
        )

    async def tracking(
        self, now: int, *, period: str | None = None, member_id: str | None = None
    ) -> list[Row]:
        """Per member and month: vouchers issued, redeemed, voided, expired and outstanding."""
        clauses: list[str] = ["v.period IS NOT NULL"]
        args: list[object] = []
        if period is not None:
            clauses.append("v.period = ?")
            args.append(period)
        if member_id is not None:
            clauses.append("v.member_id = ?")
            args.append(member_id)
        redeemed = "r.cti IS NOT NULL"
        voided = f"NOT ({redeemed}) AND v.revoked_at IS NOT NULL"
        expired = f"NOT ({redeemed}) AND v.revoked_at IS NULL AND v.exp <= ?"
        open_ = f"NOT ({redeemed}) AND v.revoked_at IS NULL AND v.exp > ?"
        sums: list[str] = []
        sum_args: list[int] = []
        for name, cond, uses_now in (
            ("redeemed", redeemed, False),
            ("voided", voided, False),
            ("expired", expired, True),
            ("outstanding", open_, True),
        ):
            sums.append(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {name}")
            sums.append(f"SUM(CASE WHEN {cond} THEN v.amount_cents ELSE 0 END) AS {name}_cents")
            sum_args.extend([now, now] if uses_now else [])
        return await self.conn.fetchall(
            f"SELECT v.member_id, v.period, m.name, COUNT(*) AS issued, "
            f"SUM(v.amount_cents) AS issued_cents, {', '.join(sums)} "
            f"FROM vouchers v JOIN members m ON m.member_id = v.member_id "
            f"LEFT JOIN {_REDEEMED} r ON r.cti = v.cti WHERE {' AND '.join(clauses)} "
            "GROUP BY v.member_id, v.period, m.name ORDER BY v.period DESC, m.name, v.member_id",
            *sum_args,
            *args,
        )


__all__ = ["VoucherQueries"]

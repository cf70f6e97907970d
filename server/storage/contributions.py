"""Contributions' SQL: payments by channel, bank statements and entries, mandates and
direct debits, subsidies, and the monthly books.

``ContributionQueries`` (``q.contributions``) runs on the connection of a ``Queries``.
A bank entry is stored once, by its key, whatever statement brings it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from server.db.seam import Row
from server.storage.core import Queries

ENTRY_COLUMNS = (
    "entry_key, statement_key, booked_on, amount_cents, counterparty_iban, counterparty_name, "
    "communication, structured_ref, end_to_end_id, kind, status, household_id, how, "
    "decided_by, decided_at, imported_at"
)
ENTRY_TYPES = (
    *("text", "text", "text", "bigint", "text", "text", "text", "text", "text", "text"),
    *("text", "bigint", "text", "text", "bigint", "bigint"),
)
PAYMENT_COLUMNS = (
    "payment_id, household_id, amount_cents, channel, received_on, source, note, recorded_at, actor"
)
PAYMENT_TYPES = ("text", "bigint", "bigint", "text", "text", "text", "text", "bigint", "text")
MANDATE_COLUMNS = (
    "mandate_id, household_id, iban, bic, debtor_name, signed_on, created_at, revoked_at"
)


class ContributionQueries:
    """Reached as ``q.contributions``."""

    def __init__(self, q: Queries) -> None:
        self.conn = q.conn
        self.db = q.db

    # -- payments ------------------------------------------------------------------------

    async def insert_payments(self, rows: Sequence[Sequence[Any]]) -> None:
        """Rows in ``PAYMENT_COLUMNS`` order."""
        await self.conn.insert_many(
            f"INSERT INTO contribution_payments ({PAYMENT_COLUMNS}) {{rows}} "
            "ON CONFLICT (payment_id) DO NOTHING",
            PAYMENT_TYPES,
            rows,
        )

    async def payment(self, payment_id: str) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {PAYMENT_COLUMNS} FROM contribution_payments WHERE payment_id = ?",
            payment_id,
        )

    async def paid_by_household(self, household_ids: Sequence[int] | None = None) -> dict[int, int]:
        sql = "SELECT household_id, SUM(amount_cents) AS cents FROM contribution_payments"
        if household_ids is None:
            rows = await self.conn.fetchall(sql + " GROUP BY household_id")
        else:
            rows = await self.conn.fetch_in(
                sql + " WHERE {in} GROUP BY household_id",
                column="household_id",
                values=sorted(household_ids),
                sql_type="bigint",
            )
        return {int(r["household_id"]): int(r["cents"]) for r in rows}

    async def payments_of(self, household_id: int) -> list[Row]:
        return await self.conn.fetchall(
            f"SELECT {PAYMENT_COLUMNS} FROM contribution_payments WHERE household_id = ? "
            "ORDER BY received_on, recorded_at",
            household_id,
        )

    # -- bank statements and entries -----------------------------------------------------

    async def statement(self, statement_key: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT statement_key, format, account, statement_id, lines, imported_at "
            "FROM bank_statements WHERE statement_key = ?",
            statement_key,
        )

    async def insert_statement(
        self,
        statement_key: str,
        fmt: str,
        account: str | None,
        statement_id: str | None,
        sha256: bytes,
        lines: int,
        actor: str,
        now: int,
    ) -> int:
        return await self.conn.execute(
            "INSERT INTO bank_statements (statement_key, format, account, statement_id, sha256, "
            "lines, imported_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (statement_key) DO NOTHING",
            statement_key,
            fmt,
            account,
            statement_id,
            sha256,
            lines,
            now,
            actor,
        )

    async def existing_entries(self, keys: Sequence[str]) -> set[str]:
        rows = await self.conn.fetch_in(
            "SELECT entry_key FROM bank_entries WHERE {in}",
            column="entry_key",
            values=sorted(keys),
            sql_type="text",
        )
        return {row[0] for row in rows}

    async def insert_entries(self, rows: Sequence[Sequence[Any]]) -> None:
        """Rows in ``ENTRY_COLUMNS`` order."""
        await self.conn.insert_many(
            f"INSERT INTO bank_entries ({ENTRY_COLUMNS}) {{rows}} "
            "ON CONFLICT (entry_key) DO NOTHING",
            ENTRY_TYPES,
            rows,
        )

    async def entry(self, entry_key: str) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {ENTRY_COLUMNS} FROM bank_entries WHERE entry_key = ?", entry_key
        )

    async def entries(self, status: str | None = None, limit: int = 500) -> list[Row]:
        if status is None:
            return await self.conn.fetchall(
                f"SELECT {ENTRY_COLUMNS} FROM bank_entries ORDER BY booked_on DESC, entry_key "
                "LIMIT ?",
                limit,
            )
        return await self.conn.fetchall(
            f"SELECT {ENTRY_COLUMNS} FROM bank_entries WHERE status = ? "
            "ORDER BY booked_on, entry_key LIMIT ?",
            status,
            limit,
        )

    async def decide_entry(
        self, entry_key: str, status: str, household_id: int | None, actor: str, now: int
    ) -> int:
        """Settle an entry of the review queue (only while it waits there)."""
        return await self.conn.execute(
            "UPDATE bank_entries SET status = ?, household_id = ?, how = 'volunteer', "
            "decided_by = ?, decided_at = ? WHERE entry_key = ? AND status = 'unmatched'",
            status,
            household_id,
            actor,
            now,
            entry_key,
        )

    async def count_entries(self, status: str) -> int:
        return int(
            await self.conn.fetchval("SELECT COUNT(*) FROM bank_entries WHERE status = ?", status)
        )

    # -- IBANs known for a household -----------------------------------------------------

    async def add_iban(self, iban: str, household_id: int) -> None:
        await self.conn.execute(
            "INSERT INTO household_ibans (iban, household_id) VALUES (?, ?) "
            "ON CONFLICT (iban, household_id) DO NOTHING",
            iban,
            household_id,
        )

    async def ibans(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for row in await self.conn.fetchall(
            "SELECT iban, household_id FROM household_ibans ORDER BY iban, household_id"
        ):
            out.setdefault(row["iban"], []).append(int(row["household_id"]))
        return out

    # -- mandates and direct debits --------------------------------------------------------

    async def insert_mandate(
        self,
        mandate_id: str,
        household_id: int,
        iban: str,
        bic: str | None,
        debtor_name: str,
        signed_on: str,
        now: int,
    ) -> None:
        await self.conn.execute(
            f"INSERT INTO mandates ({MANDATE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            mandate_id,
            household_id,
            iban,
            bic,
            debtor_name,
            signed_on,
            now,
        )

    async def revoke_mandates_of(self, household_id: int, now: int) -> int:
        return await self.conn.execute(
            "UPDATE mandates SET revoked_at = ? WHERE household_id = ? AND revoked_at IS NULL",
            now,
            household_id,
        )

    async def count_mandates(self, household_id: int) -> int:
        return int(
            await self.conn.fetchval(
                "SELECT COUNT(*) FROM mandates WHERE household_id = ?", household_id
            )
        )

    async def mandate(self, mandate_id: str) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {MANDATE_COLUMNS} FROM mandates WHERE mandate_id = ?", mandate_id
        )

    async def mandate_of(self, household_id: int) -> Row | None:
        """The household's mandate in force, if any."""
        return await self.conn.fetchone(
            f"SELECT {MANDATE_COLUMNS} FROM mandates WHERE household_id = ? AND revoked_at IS NULL",
            household_id,
        )

    async def active_mandates(self) -> list[Row]:
        return await self.conn.fetchall(
            f"SELECT {MANDATE_COLUMNS} FROM mandates WHERE revoked_at IS NULL "
            "ORDER BY household_id, mandate_id"
        )

    async def debits_of_mandates(self) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT end_to_end_id, mandate_id, household_id, period, amount_cents, sequence, "
            "collection_date, returned_at FROM debit_transactions "
            "ORDER BY mandate_id, collection_date"
        )

    async def debit(self, end_to_end_id: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT end_to_end_id, msg_id, mandate_id, household_id, period, amount_cents, "
            "sequence, collection_date, returned_at FROM debit_transactions "
            "WHERE end_to_end_id = ?",
            end_to_end_id,
        )

    async def insert_debits(self, rows: Sequence[Sequence[Any]]) -> None:
        await self.conn.executemany(
            "INSERT INTO debit_transactions (end_to_end_id, msg_id, mandate_id, household_id, "
            "period, amount_cents, sequence, collection_date, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    async def mark_returned(self, end_to_end_id: str, reason: str | None, now: int) -> int:
        return await self.conn.execute(
            "UPDATE debit_transactions SET returned_at = ?, return_reason = ? "
            "WHERE end_to_end_id = ? AND returned_at IS NULL",
            now,
            reason,
            end_to_end_id,
        )

    async def insert_debit_file(
        self,
        msg_id: str,
        collection_date: str,
        transactions: int,
        control_sum_cents: int,
        sha256: bytes,
        body: bytes,
        now: int,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO debit_files (msg_id, collection_date, transactions, control_sum_cents, "
            "sha256, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            msg_id,
            collection_date,
            transactions,
            control_sum_cents,
            sha256,
            body,
            now,
        )

    async def count_debit_files(self) -> int:
        return int(await self.conn.fetchval("SELECT COUNT(*) FROM debit_files"))

    # -- subsidies and the books -----------------------------------------------------------

    async def insert_subsidy(
        self,
        subsidy_id: str,
        source: str,
        amount_cents: int,
        received_on: str,
        note: str | None,
        actor: str,
        now: int,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO subsidies (subsidy_id, source, amount_cents, received_on, note, "
            "recorded_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?)",
            subsidy_id,
            source,
            amount_cents,
            received_on,
            note,
            now,
            actor,
        )

    async def payments_between(self, start: str, end: str) -> list[Row]:
        """Contribution payments with ``start <= received_on < end`` (ISO dates)."""
        return await self.conn.fetchall(
            f"SELECT {PAYMENT_COLUMNS} FROM contribution_payments "
            "WHERE received_on >= ? AND received_on < ? ORDER BY received_on, payment_id",
            start,
            end,
        )

    async def subsidies_between(self, start: str, end: str) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT subsidy_id, source, amount_cents, received_on, note FROM subsidies "
            "WHERE received_on >= ? AND received_on < ? ORDER BY received_on, subsidy_id",
            start,
            end,
        )

    async def payouts_between(self, start_ts: int, end_ts: int) -> list[Row]:
        """Shop payouts of the settlements made in ``[start_ts, end_ts)``."""
        return await self.conn.fetchall(
            "SELECT s.settlement_id, s.created_at, p.merchant_id, p.name, p.amount_cents "
            "FROM payouts p JOIN settlements s ON s.settlement_id = p.settlement_id "
            "WHERE s.created_at >= ? AND s.created_at < ? AND p.amount_cents > 0 "
            "ORDER BY s.settlement_id, p.merchant_id",
            start_ts,
            end_ts,
        )

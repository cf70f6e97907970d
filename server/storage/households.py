"""Households' SQL: households, their members, allowance shares per period, contributions due.

``HouseholdQueries`` (``q.households``) runs on the connection of a ``Queries``.
Declared incomes (``contribution_choices.declared_income_cents``) are read only
through ``declared_income``, which the service audits.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.db.seam import Row
from server.storage.core import MEMBER_REVOKED, Queries

HOUSEHOLD_LOCK = 7_700_010
_HOUSEHOLD = "household_id, label, adults, children, birth_years, reference, created_at, updated_at"


class HouseholdQueries:
    """Reached as ``q.households``."""

    def __init__(self, q: Queries) -> None:
        self.conn = q.conn
        self.db = q.db

    async def lock(self) -> None:
        await self.db.lock(self.conn, HOUSEHOLD_LOCK)

    # -- households ------------------------------------------------------------------

    async def next_household_id(self) -> int:
        """The next number (call ``lock`` first, in the same transaction)."""
        value = await self.conn.fetchval("SELECT MAX(household_id) FROM households")
        return int(value or 0) + 1

    async def insert_household(
        self,
        household_id: int,
        label: str | None,
        adults: int,
        children: int,
        birth_years: str | None,
        reference: str,
        now: int,
    ) -> None:
        await self.conn.execute(
            f"INSERT INTO households ({_HOUSEHOLD}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            household_id,
            label,
            adults,
            children,
            birth_years,
            reference,
            now,
            now,
        )

    async def update_household(
        self,
        household_id: int,
        label: str | None,
        adults: int,
        children: int,
        birth_years: str | None,
        now: int,
    ) -> int:
        return await self.conn.execute(
            "UPDATE households SET label = ?, adults = ?, children = ?, birth_years = ?, "
            "updated_at = ? WHERE household_id = ?",
            label,
            adults,
            children,
            birth_years,
            now,
            household_id,
        )

    async def household(self, household_id: int) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {_HOUSEHOLD} FROM households WHERE household_id = ?", household_id
        )

    async def household_by_reference(self, reference: str) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {_HOUSEHOLD} FROM households WHERE reference = ?", reference
        )

    async def households(self, *, limit: int = 100_000, offset: int = 0) -> list[Row]:
        return await self.conn.fetchall(
            f"SELECT {_HOUSEHOLD} FROM households ORDER BY household_id LIMIT ? OFFSET ?",
            limit,
            offset,
        )

    async def count(self) -> int:
        return int(await self.conn.fetchval("SELECT COUNT(*) FROM households"))

    async def references(self) -> dict[str, int]:
        """Structured communication (12 digits) → household, for matching statements."""
        rows = await self.conn.fetchall("SELECT reference, household_id FROM households")
        return {row["reference"]: int(row["household_id"]) for row in rows}

    # -- members ---------------------------------------------------------------------

    async def set_member_household(self, member_id: str, household_id: int) -> int:
        return await self.conn.execute(
            "UPDATE members SET household_id = ? WHERE member_id = ?", household_id, member_id
        )

    async def set_share_weight(self, member_id: str, weight: int | None) -> int:
        return await self.conn.execute(
            "UPDATE members SET share_weight = ? WHERE member_id = ?", weight, member_id
        )

    async def member_household(self, member_id: str) -> int | None:
        value = await self.conn.fetchval(
            "SELECT household_id FROM members WHERE member_id = ?", member_id
        )
        return None if value is None else int(value)

    async def members_of(self, household_id: int) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT member_id, name, status, share_weight, created_at FROM members "
            "WHERE household_id = ? ORDER BY created_at, member_id",
            household_id,
        )

    async def holders_of(self, household_id: int) -> list[Row]:
        """The household's members who hold (or are to hold) a wallet: not revoked."""
        return await self.conn.fetchall(
            "SELECT member_id, share_weight FROM members WHERE household_id = ? "
            "AND status <> ? ORDER BY created_at, member_id",
            household_id,
            MEMBER_REVOKED,
        )

    async def member_counts(self) -> dict[int, int]:
        rows = await self.conn.fetchall(
            "SELECT household_id, COUNT(*) AS n FROM members WHERE household_id IS NOT NULL "
            "AND status <> ? GROUP BY household_id",
            MEMBER_REVOKED,
        )
        return {int(row["household_id"]): int(row["n"]) for row in rows}

    # -- allowance periods and shares ------------------------------------------------

    async def period_rule(self, period: str) -> str | None:
        return await self.conn.fetchval(
            "SELECT rule FROM allowance_periods WHERE period = ?", period
        )

    async def fix_period_rule(self, period: str, rule: str, now: int) -> None:
        await self.conn.execute(
            "INSERT INTO allowance_periods (period, rule, fixed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (period) DO NOTHING",
            period,
            rule,
            now,
        )

    async def last_fixed_period(self) -> str | None:
        return await self.conn.fetchval("SELECT MAX(period) FROM allowance_periods")

    async def share(self, period: str, member_id: str) -> int | None:
        value = await self.conn.fetchval(
            "SELECT share_cents FROM allowance_shares WHERE period = ? AND member_id = ?",
            period,
            member_id,
        )
        return None if value is None else int(value)

    async def household_shares(self, household_id: int, period: str) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT member_id, share_cents, household_cents FROM allowance_shares "
            "WHERE household_id = ? AND period = ? ORDER BY member_id",
            household_id,
            period,
        )

    async def insert_shares(
        self,
        period: str,
        household_id: int,
        household_cents: int,
        shares: dict[str, int],
        now: int,
    ) -> None:
        await self.conn.executemany(
            "INSERT INTO allowance_shares (period, member_id, household_id, share_cents, "
            "household_cents, fixed_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (period, member_id) DO NOTHING",
            [
                (period, member_id, household_id, cents, household_cents, now)
                for member_id, cents in shares.items()
            ],
        )

    # -- contributions due -----------------------------------------------------------

    async def insert_choice(
        self,
        household_id: int,
        from_period: str,
        monthly_cents: int,
        band: str | None,
        declared_income_cents: int | None,
        cpas: bool,
        scheme_kind: str,
        actor: str,
        now: int,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO contribution_choices (household_id, from_period, monthly_cents, band, "
            "declared_income_cents, cpas, scheme_kind, set_at, actor) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (household_id, from_period) "
            "DO UPDATE SET monthly_cents = excluded.monthly_cents, band = excluded.band, "
            "declared_income_cents = excluded.declared_income_cents, cpas = excluded.cpas, "
            "scheme_kind = excluded.scheme_kind, set_at = excluded.set_at, "
            "actor = excluded.actor",
            household_id,
            from_period,
            monthly_cents,
            band,
            declared_income_cents,
            1 if cpas else 0,
            scheme_kind,
            now,
            actor,
        )

    async def choices(self, household_ids: Sequence[int] | None = None) -> list[Row]:
        """Every choice (no income), by household then month: what is owed from when."""
        sql = (
            "SELECT household_id, from_period, monthly_cents, band, cpas, scheme_kind, set_at "
            "FROM contribution_choices"
        )
        if household_ids is None:
            return await self.conn.fetchall(sql + " ORDER BY household_id, from_period")
        return await self.conn.fetch_in(
            sql + " WHERE {in} ORDER BY household_id, from_period",
            column="household_id",
            values=sorted(household_ids),
            sql_type="bigint",
        )

    async def declared_income(self, household_id: int) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT from_period, declared_income_cents, set_at, actor FROM contribution_choices "
            "WHERE household_id = ? AND declared_income_cents IS NOT NULL ORDER BY from_period",
            household_id,
        )

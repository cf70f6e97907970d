"""Planning's SQL: the money recorded before a month, in one sum per kind.

``PlanningQueries`` (``q.planning``) runs on the connection of a ``Queries``. The
runway (``server.ledger.runway``) reads each recent month through the books
(``server.ledger.books``) and everything older through ``totals_before``, so the
fund's balance counts every cent ever recorded without reading every old month.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.storage.core import MEMBER_REVOKED, Queries


@dataclass(frozen=True, slots=True)
class Totals:
    contributions_cents: int
    subsidies_cents: int
    payouts_cents: int


class PlanningQueries:
    """Reached as ``q.planning``."""

    def __init__(self, q: Queries) -> None:
        self.conn = q.conn

    async def totals_before(self, day: str, ts: int) -> Totals:
        """Contributions and subsidies received before ``day`` (ISO date), and shop payouts
        of the settlements made before ``ts`` (epoch seconds) — as the books count them."""
        contributions = await self.conn.fetchval(
            "SELECT COALESCE(SUM(amount_cents), 0) FROM contribution_payments "
            "WHERE received_on < ?",
            day,
        )
        subsidies = await self.conn.fetchval(
            "SELECT COALESCE(SUM(amount_cents), 0) FROM subsidies WHERE received_on < ?", day
        )
        payouts = await self.conn.fetchval(
            "SELECT COALESCE(SUM(p.amount_cents), 0) FROM payouts p "
            "JOIN settlements s ON s.settlement_id = p.settlement_id "
            "WHERE s.created_at < ? AND p.amount_cents > 0",
            ts,
        )
        return Totals(int(contributions or 0), int(subsidies or 0), int(payouts or 0))

    async def members_alone(self) -> int:
        """Members not revoked who belong to no household (enrolled before households)."""
        value = await self.conn.fetchval(
            "SELECT COUNT(*) FROM members WHERE household_id IS NULL AND status <> ?",
            MEMBER_REVOKED,
        )
        return int(value or 0)

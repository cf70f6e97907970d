"""SQL of democratic conventionnement: statutes, charter, proposals, ballots, proxies,
assembly counts, panels, members' strata, shop profiles, assessments, decisions.

``DemocracyQueries`` (``q.democracy``) runs on the connection of a ``Queries``, so a
decision and what it changes (a new merchant, a suspension, a trust list) commit
together. JSON columns are written and read here as text; the services parse them.
"""

from __future__ import annotations

from typing import Any

from server.db.seam import Row
from server.storage.core import MEMBER_REVOKED, Queries

DEMOCRACY_LOCK = 7_700_014  # serializes numbering (decisions, assessments, counts)

_PROPOSAL = (
    "proposal_id, kind, title, text, options, details, rule, panel_id, subject, status, "
    "opens_at, closes_at, proposed_by, created_at, screened_at, screening_note, closed_at, "
    "result"
)
_PROFILE = (
    "p.merchant_id, m.name, m.status, p.address, p.hours, p.scope, p.approved_at, "
    "p.proposal_id, p.review_at, p.withdrawn_from, p.withdrawal_proposal_id"
)


class DemocracyQueries:
    """Reached as ``q.democracy``; same connection, same transaction."""

    def __init__(self, q: Queries) -> None:
        self.conn = q.conn
        self.db = q.db

    async def lock(self) -> None:
        await self.db.lock(self.conn, DEMOCRACY_LOCK)

    # -- statutes and charter ------------------------------------------------------

    async def statutes(self) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT kind, rule, changed_at, proposal_id FROM statutes ORDER BY kind"
        )

    async def set_statute(self, kind: str, rule: str, now: int, proposal_id: str | None) -> None:
        await self.conn.execute(
            "INSERT INTO statutes (kind, rule, changed_at, proposal_id) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind) DO UPDATE SET rule = excluded.rule, "
            "changed_at = excluded.changed_at, proposal_id = excluded.proposal_id",
            kind,
            rule,
            now,
            proposal_id,
        )

    async def charter_versions(self) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT version, criteria, period, adopted_at, proposal_id, note "
            "FROM charter_versions ORDER BY version DESC"
        )

    async def insert_charter(
        self, criteria: str, period: str, now: int, proposal_id: str | None, note: str | None
    ) -> int:
        await self.lock()
        version = int(
            await self.conn.fetchval("SELECT COALESCE(MAX(version), 0) + 1 FROM charter_versions")
        )
        await self.conn.execute(
            "INSERT INTO charter_versions (version, criteria, period, adopted_at, proposal_id, "
            "note) VALUES (?, ?, ?, ?, ?, ?)",
            version,
            criteria,
            period,
            now,
            proposal_id,
            note,
        )
        return version

    # -- proposals -----------------------------------------------------------------

    async def insert_proposal(self, values: dict[str, Any]) -> None:
        columns = [c.strip() for c in _PROPOSAL.split(",")]
        await self.conn.execute(
            f"INSERT INTO proposals ({_PROPOSAL}) VALUES ({', '.join('?' * len(columns))})",
            *(values.get(c) for c in columns),
        )

    async def proposal(self, proposal_id: str) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {_PROPOSAL} FROM proposals WHERE proposal_id = ?", proposal_id
        )

    async def proposals(self) -> list[Row]:
        return await self.conn.fetchall(
            f"SELECT {_PROPOSAL} FROM proposals ORDER BY created_at DESC, proposal_id"
        )

    async def screen_proposal(
        self,
        proposal_id: str,
        *,
        status: str,
        opens_at: int | None,
        closes_at: int | None,
        rule: str,
        panel_id: str | None,
        note: str | None,
        now: int,
    ) -> int:
        return await self.conn.execute(
            "UPDATE proposals SET status = ?, opens_at = ?, closes_at = ?, rule = ?, "
            "panel_id = ?, screening_note = ?, screened_at = ? "
            "WHERE proposal_id = ? AND status = 'screening'",
            status,
            opens_at,
            closes_at,
            rule,
            panel_id,
            note,
            now,
            proposal_id,
        )

    async def update_details(self, proposal_id: str, details: str) -> None:
        await self.conn.execute(
            "UPDATE proposals SET details = ? WHERE proposal_id = ?", details, proposal_id
        )

    async def close_proposal(self, proposal_id: str, result: str, now: int) -> int:
        return await self.conn.execute(
            "UPDATE proposals SET status = 'closed', result = ?, closed_at = ? "
            "WHERE proposal_id = ? AND status = 'scheduled'",
            result,
            now,
            proposal_id,
        )

    async def pending_about(self, subject: str) -> list[Row]:
        """Proposals about ``subject`` (a merchant id) not yet closed or set aside."""
        return await self.conn.fetchall(
            "SELECT proposal_id, kind FROM proposals WHERE subject = ? "
            "AND status IN ('screening', 'scheduled') ORDER BY created_at",
            subject,
        )

    # -- ballots -------------------------------------------------------------------

    async def ballot(self, proposal_id: str, member_id: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT choice, receipt, channel, holder_id, cast_at, changes FROM ballots "
            "WHERE proposal_id = ? AND member_id = ?",
            proposal_id,
            member_id,
        )

    async def ballots_of_member(self, member_id: str) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT proposal_id, choice, receipt, channel FROM ballots WHERE member_id = ?",
            member_id,
        )

    async def put_ballot(
        self,
        *,
        proposal_id: str,
        member_id: str,
        choice: str,
        nonce: str,
        receipt: str,
        channel: str,
        holder_id: str | None,
        now: int,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO ballots (proposal_id, member_id, choice, nonce, receipt, channel, "
            "holder_id, cast_at, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) "
            "ON CONFLICT (proposal_id, member_id) DO UPDATE SET choice = excluded.choice, "
            "nonce = excluded.nonce, receipt = excluded.receipt, channel = excluded.channel, "
            "holder_id = excluded.holder_id, cast_at = excluded.cast_at, "
            "changes = ballots.changes + 1",
            proposal_id,
            member_id,
            choice,
            nonce,
            receipt,
            channel,
            holder_id,
            now,
        )

    async def ballots(self, proposal_id: str) -> list[Row]:
        """Every ballot of a proposal (for the count and the auditor's recount only)."""
        return await self.conn.fetchall(
            "SELECT member_id, choice, nonce, receipt, channel, holder_id, cast_at FROM ballots "
            "WHERE proposal_id = ? ORDER BY receipt",
            proposal_id,
        )

    async def ballot_counts(self, proposal_id: str) -> dict[str, int]:
        rows = await self.conn.fetchall(
            "SELECT choice, COUNT(*) FROM ballots WHERE proposal_id = ? GROUP BY choice",
            proposal_id,
        )
        return {row[0]: int(row[1]) for row in rows}

    # -- assembly counts and proxies -----------------------------------------------

    async def insert_assembly_count(
        self, proposal_id: str, meeting: str, counts: str, recorded_by: str, now: int
    ) -> int:
        await self.lock()
        count_id = int(
            await self.conn.fetchval(
                "SELECT COALESCE(MAX(count_id), 0) + 1 FROM assembly_counts WHERE proposal_id = ?",
                proposal_id,
            )
        )
        await self.conn.execute(
            "INSERT INTO assembly_counts (proposal_id, count_id, meeting, counts, recorded_by, "
            "recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
            proposal_id,
            count_id,
            meeting,
            counts,
            recorded_by,
            now,
        )
        return count_id

    async def assembly_counts(self, proposal_id: str) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT count_id, meeting, counts, recorded_by, recorded_at FROM assembly_counts "
            "WHERE proposal_id = ? ORDER BY count_id",
            proposal_id,
        )

    async def insert_proxy(
        self, proposal_id: str, grantor_id: str, holder_id: str, recorded_by: str, now: int
    ) -> int:
        return await self.conn.execute(
            "INSERT INTO proxies (proposal_id, grantor_id, holder_id, recorded_by, recorded_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (proposal_id, grantor_id) DO NOTHING",
            proposal_id,
            grantor_id,
            holder_id,
            recorded_by,
            now,
        )

    async def proxy(self, proposal_id: str, grantor_id: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT grantor_id, holder_id, recorded_by, recorded_at FROM proxies "
            "WHERE proposal_id = ? AND grantor_id = ?",
            proposal_id,
            grantor_id,
        )

    async def proxies(self, proposal_id: str) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT grantor_id, holder_id, recorded_by, recorded_at FROM proxies "
            "WHERE proposal_id = ? ORDER BY recorded_at, grantor_id",
            proposal_id,
        )

    async def proxies_held(self, holder_id: str) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT proposal_id, grantor_id FROM proxies WHERE holder_id = ? "
            "ORDER BY proposal_id, grantor_id",
            holder_id,
        )

    # -- members' eligibility and strata -------------------------------------------

    async def eligible_members(self, at: int) -> list[Row]:
        """Members enrolled by ``at`` and not revoked, with their strata (for draws, quorum)."""
        return await self.conn.fetchall(
            "SELECT m.member_id, s.age_band, s.household, s.contribution_band FROM members m "
            "LEFT JOIN member_strata s ON s.member_id = m.member_id "
            "WHERE m.status <> ? AND m.created_at <= ? ORDER BY m.member_id",
            MEMBER_REVOKED,
            at,
        )

    async def set_strata(
        self,
        member_id: str,
        age_band: str | None,
        household: str | None,
        contribution_band: str | None,
        now: int,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO member_strata (member_id, age_band, household, contribution_band, "
            "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET "
            "age_band = excluded.age_band, household = excluded.household, "
            "contribution_band = excluded.contribution_band, updated_at = excluded.updated_at",
            member_id,
            age_band,
            household,
            contribution_band,
            now,
        )

    # -- panels --------------------------------------------------------------------

    async def insert_panel(
        self, panel_id: str, purpose: str, size: int, strata: str, commitment: str, now: int
    ) -> None:
        await self.conn.execute(
            "INSERT INTO panels (panel_id, purpose, size, strata, commitment, announced_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            panel_id,
            purpose,
            size,
            strata,
            commitment,
            now,
        )

    async def panel(self, panel_id: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT panel_id, purpose, size, strata, commitment, seed, eligible, result, "
            "announced_at, drawn_at FROM panels WHERE panel_id = ?",
            panel_id,
        )

    async def panels(self) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT panel_id, purpose, size, strata, commitment, seed, result, announced_at, "
            "drawn_at FROM panels ORDER BY announced_at DESC, panel_id"
        )

    async def latest_drawn_panel(self, purpose: str) -> Row | None:
        return await self.conn.fetchone(
            "SELECT panel_id FROM panels WHERE purpose = ? AND drawn_at IS NOT NULL "
            "ORDER BY drawn_at DESC, panel_id LIMIT 1",
            purpose,
        )

    async def set_panel_drawn(
        self, panel_id: str, seed: str, eligible: str, result: str, now: int
    ) -> int:
        return await self.conn.execute(
            "UPDATE panels SET seed = ?, eligible = ?, result = ?, drawn_at = ? "
            "WHERE panel_id = ? AND drawn_at IS NULL",
            seed,
            eligible,
            result,
            now,
            panel_id,
        )

    async def set_panel_result(self, panel_id: str, result: str) -> None:
        await self.conn.execute("UPDATE panels SET result = ? WHERE panel_id = ?", result, panel_id)

    async def insert_decline(self, panel_id: str, member_id: str, now: int) -> int:
        return await self.conn.execute(
            "INSERT INTO panel_declines (panel_id, member_id, recorded_at) VALUES (?, ?, ?) "
            "ON CONFLICT (panel_id, member_id) DO NOTHING",
            panel_id,
            member_id,
            now,
        )

    async def declines(self, panel_id: str) -> list[str]:
        rows = await self.conn.fetchall(
            "SELECT member_id FROM panel_declines WHERE panel_id = ? ORDER BY member_id",
            panel_id,
        )
        return [row[0] for row in rows]

    # -- approved shops --------------------------------------------------------------

    async def insert_shop_profile(
        self,
        merchant_id: str,
        *,
        address: str,
        hours: str,
        scope: str | None,
        approved_at: int,
        proposal_id: str | None,
        review_at: int | None,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO shop_profiles (merchant_id, address, hours, scope, approved_at, "
            "proposal_id, review_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            merchant_id,
            address,
            hours,
            scope,
            approved_at,
            proposal_id,
            review_at,
        )

    async def shop_profile(self, merchant_id: str) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {_PROFILE} FROM shop_profiles p JOIN merchants m "
            "ON m.merchant_id = p.merchant_id WHERE p.merchant_id = ?",
            merchant_id,
        )

    async def shop_profiles(self) -> list[Row]:
        return await self.conn.fetchall(
            f"SELECT {_PROFILE} FROM shop_profiles p JOIN merchants m "
            "ON m.merchant_id = p.merchant_id ORDER BY m.name, p.merchant_id"
        )

    async def set_withdrawal(self, merchant_id: str, from_ts: int, proposal_id: str) -> int:
        return await self.conn.execute(
            "UPDATE shop_profiles SET withdrawn_from = ?, withdrawal_proposal_id = ? "
            "WHERE merchant_id = ?",
            from_ts,
            proposal_id,
            merchant_id,
        )

    async def set_review(self, merchant_id: str, review_at: int | None) -> int:
        return await self.conn.execute(
            "UPDATE shop_profiles SET review_at = ? WHERE merchant_id = ?", review_at, merchant_id
        )

    async def withdrawn_from(self, merchant_id: str) -> int | None:
        """When a decision withdrew this shop (its receipts from then on are refused)."""
        return await self.conn.fetchval(
            "SELECT withdrawn_from FROM shop_profiles WHERE merchant_id = ?", merchant_id
        )

    # -- assessments, decisions, scheduled rules -------------------------------------

    async def insert_assessment(
        self,
        proposal_id: str,
        charter_version: int,
        evaluations: str,
        summary: str,
        assessed_by: str,
        now: int,
    ) -> int:
        await self.lock()
        assessment_id = int(
            await self.conn.fetchval("SELECT COALESCE(MAX(assessment_id), 0) + 1 FROM assessments")
        )
        await self.conn.execute(
            "INSERT INTO assessments (assessment_id, proposal_id, charter_version, evaluations, "
            "summary, assessed_by, assessed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            assessment_id,
            proposal_id,
            charter_version,
            evaluations,
            summary,
            assessed_by,
            now,
        )
        return assessment_id

    async def assessments(self, proposal_id: str) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT assessment_id, charter_version, evaluations, summary, assessed_by, "
            "assessed_at FROM assessments WHERE proposal_id = ? ORDER BY assessment_id",
            proposal_id,
        )

    async def insert_decision(
        self, proposal_id: str, kind: str, title: str, outcome: str, record: str, now: int
    ) -> int:
        await self.lock()
        decision_id = int(
            await self.conn.fetchval("SELECT COALESCE(MAX(decision_id), 0) + 1 FROM decisions")
        )
        await self.conn.execute(
            "INSERT INTO decisions (decision_id, proposal_id, kind, title, outcome, record, "
            "decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            decision_id,
            proposal_id,
            kind,
            title,
            outcome,
            record,
            now,
        )
        return decision_id

    async def decisions(self) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT decision_id, proposal_id, kind, title, outcome, record, decided_at "
            "FROM decisions ORDER BY decision_id DESC"
        )

    async def insert_scheduled_rule(
        self, proposal_id: str, topic: str, period: str, value: str, now: int
    ) -> None:
        await self.conn.execute(
            "INSERT INTO scheduled_rules (proposal_id, topic, period, value, decided_at) "
            "VALUES (?, ?, ?, ?, ?)",
            proposal_id,
            topic,
            period,
            value,
            now,
        )

    async def scheduled_rules(self) -> list[Row]:
        return await self.conn.fetchall(
            "SELECT proposal_id, topic, period, value, decided_at FROM scheduled_rules "
            "ORDER BY period, decided_at"
        )

    async def rule_in_force(self, topic: str, period: str) -> str | None:
        """The value of the latest decision on ``topic`` taking effect by ``period``."""
        return await self.conn.fetchval(
            "SELECT value FROM scheduled_rules WHERE topic = ? AND period <= ? "
            "ORDER BY period DESC, decided_at DESC LIMIT 1",
            topic,
            period,
        )


__all__ = ["DEMOCRACY_LOCK", "DemocracyQueries"]

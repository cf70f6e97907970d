"""Ballots by every channel: the wallet (signed by the member's key), proxies, and the
assembly's counted show of hands or paper ballots, kept apart and added at the count.

- One ballot per member and proposal, changeable until the close; each change
  gets a new receipt ``hex(SHA-256(proposal_id \\n member_id \\n choice \\n nonce))``.
  The result publishes every counted receipt, so a member sees theirs counted;
  the receipt says nothing of the choice without the nonce, kept by the caisse
  for the auditor's recount.
- A proxy (recorded by a volunteer, one per grantor and proposal, at most
  ``proxy_cap`` per holder) lets the holder vote for a member who cannot: the
  ballot is the grantor's, marked ``proxy``. The grantor's own ballot always
  wins over one cast by proxy.
- An assembly count is numbers per choice, recorded by a volunteer: those
  present vote there instead of online (the chair reminds them).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from server.caisse import panels
from server.caisse.proposals import SCHEDULED, Proposal, get
from server.caisse.statutes import DemocracyError
from server.caisse.tally import combine, count_ballots
from server.storage.core import MEMBER_REVOKED, Queries

WALLET, PROXY, ASSEMBLY = "wallet", "proxy", "assembly"
MAX_MEETING = 200


@dataclass(frozen=True, slots=True)
class Receipt:
    proposal_id: str
    choice: str
    receipt: str
    channel: str = WALLET
    on_behalf_of: str | None = None
    changed: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "proposal_id": self.proposal_id,
            "choice": self.choice,
            "receipt": self.receipt,
        }
        if self.on_behalf_of:
            out["on_behalf_of"] = self.on_behalf_of
        if self.changed:
            out["changed"] = True
        return out


@dataclass(frozen=True, slots=True)
class Count:
    """All channels of one proposal, as the close adds them up."""

    eligible: int
    channels: dict[str, dict[str, int]]
    receipts: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return combine(*self.channels.values())


def receipt_of(proposal_id: str, member_id: str, choice: str, nonce: str) -> str:
    return hashlib.sha256(f"{proposal_id}\n{member_id}\n{choice}\n{nonce}".encode()).hexdigest()


async def voters(q: Queries, proposal: Proposal, at: int) -> set[str]:
    """Who may vote on the proposal at ``at``: every member (enrolled before the close and
    not revoked), or the seated members of its panel or committee."""
    if proposal.panel_id is not None:
        return set(await panels.seated(q, proposal.panel_id))
    until = min(at, proposal.closes_at or at)
    return {row["member_id"] for row in await q.democracy.eligible_members(until)}


async def may_vote(q: Queries, proposal: Proposal, member_id: str, at: int) -> bool:
    if proposal.panel_id is not None:
        return member_id in await voters(q, proposal, at)
    member = await q.member(member_id)
    return bool(member and member["status"] != MEMBER_REVOKED)


def _votable(proposal: Proposal, now: int) -> None:
    if proposal.status not in (SCHEDULED,) or not proposal.is_open(now):
        state = proposal.state(now)
        raise DemocracyError(
            f"voting on {proposal.proposal_id} is not open ({state})", "VOTING_CLOSED", 409
        )


def _choice(proposal: Proposal, choice: Any) -> str:
    if not isinstance(choice, str) or choice not in proposal.choices:
        raise DemocracyError(
            f"choice must be one of: {', '.join(proposal.choices)}", "INVALID_CHOICE", 400
        )
    return choice


async def cast(
    q: Queries,
    *,
    proposal_id: Any,
    member_id: str,
    choice: Any,
    on_behalf_of: str | None = None,
    actor: str,
    now: int,
) -> Receipt:
    """A member's ballot (or one cast for the member holding their proxy)."""
    proposal = await get(q, proposal_id)
    _votable(proposal, now)
    choice = _choice(proposal, choice)
    voter, channel, holder = member_id, WALLET, None
    if on_behalf_of is not None:
        proxy = await q.democracy.proxy(proposal.proposal_id, on_behalf_of)
        if proxy is None or proxy["holder_id"] != member_id:
            raise DemocracyError("no proxy of this member for this vote", "NO_PROXY", 403)
        own = await q.democracy.ballot(proposal.proposal_id, on_behalf_of)
        if own is not None and own["channel"] == WALLET:
            raise DemocracyError("this member has voted themselves", "ALREADY_VOTED", 409)
        voter, channel, holder = on_behalf_of, PROXY, member_id
    if not await may_vote(q, proposal, voter, now):
        raise DemocracyError("this member does not take part in this vote", "NOT_ELIGIBLE", 403)
    before = await q.democracy.ballot(proposal.proposal_id, voter)
    nonce = secrets.token_hex(16)
    receipt = receipt_of(proposal.proposal_id, voter, choice, nonce)
    await q.democracy.put_ballot(
        proposal_id=proposal.proposal_id,
        member_id=voter,
        choice=choice,
        nonce=nonce,
        receipt=receipt,
        channel=channel,
        holder_id=holder,
        now=now,
    )
    await q.console.append_audit(
        actor=actor,
        action="ballot.change" if before else "ballot.cast",
        target=proposal.proposal_id,
        detail={"channel": channel},  # never the choice
        now=now,
    )
    return Receipt(proposal.proposal_id, choice, receipt, channel, on_behalf_of, before is not None)


async def grant_proxy(
    q: Queries, *, proposal_id: str, grantor_id: str, holder_id: str, actor: str, now: int
) -> dict[str, Any]:
    """Record that ``holder_id`` votes for ``grantor_id`` on this proposal (signed paper form)."""
    proposal = await get(q, proposal_id)
    if proposal.status != SCHEDULED or proposal.state(now) == "counting":
        raise DemocracyError("proxies are recorded before the vote closes", "VOTING_CLOSED", 409)
    if grantor_id == holder_id:
        raise DemocracyError("a member cannot hold their own proxy")
    for who in (grantor_id, holder_id):
        if not await may_vote(q, proposal, who, now):
            raise DemocracyError(
                f"member {who} does not take part in this vote", "NOT_ELIGIBLE", 403
            )
    own = await q.democracy.ballot(proposal_id, grantor_id)
    if own is not None and own["channel"] == WALLET:
        raise DemocracyError("this member has already voted themselves", "ALREADY_VOTED", 409)
    if await q.democracy.proxy(proposal_id, holder_id) is not None:
        raise DemocracyError("the holder has given their own proxy away", "PROXY_CHAIN", 409)
    held = [p for p in await q.democracy.proxies(proposal_id) if p["holder_id"] == holder_id]
    if len(held) >= proposal.rule.proxy_cap:
        raise DemocracyError(
            f"a member holds at most {proposal.rule.proxy_cap} proxies for a vote", "PROXY_CAP", 409
        )
    if any(p["holder_id"] == grantor_id for p in await q.democracy.proxies(proposal_id)):
        raise DemocracyError("this member holds proxies: they vote themselves", "PROXY_CHAIN", 409)
    if not await q.democracy.insert_proxy(proposal_id, grantor_id, holder_id, actor, now):
        raise DemocracyError(
            "this member has already given a proxy for this vote", "PROXY_EXISTS", 409
        )
    await q.console.append_audit(
        actor=actor,
        action="proxy.grant",
        target=proposal_id,
        detail={"grantor": grantor_id, "holder": holder_id},
        now=now,
    )
    return {
        "proposal_id": proposal_id,
        "grantor_id": grantor_id,
        "holder_id": holder_id,
        "held": len(held) + 1,
        "cap": proposal.rule.proxy_cap,
    }


async def record_assembly(
    q: Queries, *, proposal_id: str, meeting: str, counts: dict[str, Any], actor: str, now: int
) -> dict[str, Any]:
    """The assembly's counted hands or paper ballots, per choice, for one proposal."""
    proposal = await get(q, proposal_id)
    if proposal.status != SCHEDULED or proposal.opens_at is None or now < proposal.opens_at:
        raise DemocracyError(
            "an assembly count is recorded once voting has opened, before the close",
            "VOTING_CLOSED",
            409,
        )
    meeting = (meeting or "").strip()
    if not meeting or len(meeting) > MAX_MEETING:
        raise DemocracyError(f"name the meeting (1 to {MAX_MEETING} characters)")
    clean = {}
    for choice, n in counts.items():
        _choice(proposal, choice)
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise DemocracyError("each count is a whole number, 0 or more")
        if n:
            clean[choice] = n
    total = sum(clean.values())
    if total == 0:
        raise DemocracyError("an assembly count counts at least one vote")
    so_far = await count(q, proposal, now)
    if total + sum(so_far.counts.values()) > so_far.eligible:
        raise DemocracyError(
            f"{total} more votes would make more votes than the {so_far.eligible} members "
            "taking part (did members present also vote in the wallet?)"
        )
    count_id = await q.democracy.insert_assembly_count(
        proposal_id, meeting, json.dumps(clean, ensure_ascii=False), actor, now
    )
    await q.console.append_audit(
        actor=actor,
        action="assembly.count",
        target=proposal_id,
        detail={"count_id": count_id, "meeting": meeting, "counts": clean},
        now=now,
    )
    return {"proposal_id": proposal_id, "count_id": count_id, "meeting": meeting, "counts": clean}


async def count(q: Queries, proposal: Proposal, at: int) -> Count:
    """Every channel's count, the ballots of members no longer taking part left out."""
    allowed = await voters(q, proposal, at)
    kept = [b for b in await q.democracy.ballots(proposal.proposal_id) if b["member_id"] in allowed]
    channels = {
        WALLET: count_ballots(b["choice"] for b in kept if b["channel"] == WALLET),
        PROXY: count_ballots(b["choice"] for b in kept if b["channel"] == PROXY),
        ASSEMBLY: combine(
            *(
                json.loads(r["counts"])
                for r in await q.democracy.assembly_counts(proposal.proposal_id)
            )
        ),
    }
    return Count(len(allowed), channels, sorted(b["receipt"] for b in kept))


async def recount(q: Queries, proposal_id: str, at: int) -> dict[str, Any]:
    """The auditor's check: every stored ballot's receipt recomputed, the count redone."""
    proposal = await get(q, proposal_id)
    rows = await q.democracy.ballots(proposal_id)
    bad = [
        r["receipt"]
        for r in rows
        if receipt_of(proposal_id, r["member_id"], r["choice"], r["nonce"]) != r["receipt"]
        or r["choice"] not in proposal.choices
    ]
    counted = await count(q, proposal, proposal.closed_at or at)
    out: dict[str, Any] = {
        "proposal_id": proposal_id,
        "ballots_stored": len(rows),
        "receipts_invalid": bad,
        "eligible": counted.eligible,
        "channels": counted.channels,
        "tally": counted.counts,
        "receipts": counted.receipts,
    }
    if proposal.result is not None:
        out["matches_published"] = proposal.result.get("receipts") == counted.receipts and {
            k: v for k, v in proposal.result.get("tally", {}).items() if v
        } == {k: v for k, v in counted.counts.items() if v}
    return out

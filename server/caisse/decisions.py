"""Closing a vote and applying what it decided, in the same transaction as the count.

- An approved shop becomes a merchant with an enrolment code for the shopkeeper,
  its scope (``None``: the whole shop) and a review date (``review_months`` later).
- A withdrawn shop is refused from the date decided: receipts scanned from then on
  are rejected at intake (``MERCHANT_WITHDRAWN``) and from that date the shop is
  ``withdrawn`` (no new till, out of the directory) and a new trust list is signed;
  its till may still upload, so its receipts from before that date are paid.
- A rule change is scheduled for its month (the allowance is then what credentials
  of that month carry; a charter becomes the charter's next version).
- Every close lands in the public decisions log with its tally and receipts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from nacl.signing import SigningKey

from server.caisse import merchants
from server.caisse.ballots import count
from server.caisse.proposals import (
    SCHEDULED,
    Proposal,
    add_proposal,
    get,
    public_result,
)
from server.caisse.statutes import (
    RULE_CHANGE,
    SHOP_APPROVAL,
    SHOP_REVIEW,
    SHOP_WITHDRAWAL,
    DemocracyError,
    add_months,
    day_start,
    parse_day,
)
from server.caisse.tally import ADOPTED, REJECTED, decide
from server.caisse.trust import sign_new_list
from server.config import Config
from server.storage.core import MERCHANT_ACTIVE, MERCHANT_WITHDRAWN, Queries


@dataclass(frozen=True, slots=True)
class Closed:
    proposal_id: str
    kind: str
    eligible: int
    ballots: int
    tally: dict[str, int]
    quorum_met: bool
    outcome: str
    winner: str | None
    channels: dict[str, dict[str, int]]
    receipts: list[str]
    applied: dict[str, Any] = field(default_factory=dict)
    decision_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "proposal_id": self.proposal_id,
            "status": "closed",
            "kind": self.kind,
            "eligible": self.eligible,
            "ballots": self.ballots,
            "tally": self.tally,
            "quorum_met": self.quorum_met,
            "outcome": self.outcome,
            "winner": self.winner,
            "channels": self.channels,
            "receipts": self.receipts,
            "applied": self.applied,
            "decision_id": self.decision_id,
        }


def local_date(ts: int | None, tz: ZoneInfo) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz).date().isoformat()


async def close(
    q: Queries, config: Config, root: SigningKey | None, *, proposal_id: str, actor: str, now: int
) -> Closed:
    """Count every channel, decide by the proposal's rule, apply, log. Once."""
    proposal = await get(q, proposal_id)
    if proposal.status != SCHEDULED:
        raise DemocracyError(f"proposal {proposal_id} is {proposal.status}", "NOT_OPEN", 409)
    assert proposal.closes_at is not None
    if now < proposal.closes_at:
        raise DemocracyError(
            f"voting on {proposal_id} is open until {proposal.closes_at}", "STILL_OPEN", 409
        )
    counted = await count(q, proposal, proposal.closes_at)
    outcome = decide(
        proposal.rule, eligible=counted.eligible, counts=counted.counts, options=proposal.options
    )
    applied = await _apply(q, config, root, proposal, outcome.outcome, actor=actor, now=now)
    closed = Closed(
        proposal_id=proposal_id,
        kind=proposal.kind,
        eligible=outcome.eligible,
        ballots=outcome.ballots,
        tally=outcome.tally,
        quorum_met=outcome.quorum_met,
        outcome=outcome.outcome,
        winner=outcome.winner,
        channels=counted.channels,
        receipts=counted.receipts,
        applied=applied,
    )
    result = {**closed.to_json(), "rule": proposal.rule.to_json()}
    if not await q.democracy.close_proposal(proposal_id, json.dumps(result), now):
        raise DemocracyError(f"proposal {proposal_id} was closed meanwhile", "NOT_OPEN", 409)
    record = {
        **public_result(result),
        "title": proposal.title,
        "opens_at": proposal.opens_at,
        "closes_at": proposal.closes_at,
        "details": proposal.public_details(),
    }
    decision_id = await q.democracy.insert_decision(
        proposal_id, proposal.kind, proposal.title, outcome.outcome, json.dumps(record), now
    )
    await q.console.append_audit(
        actor=actor,
        action="proposal.close",
        target=proposal_id,
        detail={
            "outcome": outcome.outcome,
            "decision_id": decision_id,
            "applied": public_result(result)["applied"],
        },
        now=now,
    )
    return Closed(**{**_fields(closed), "decision_id": decision_id})


def _fields(closed: Closed) -> dict[str, Any]:
    return {name: getattr(closed, name) for name in Closed.__dataclass_fields__}


async def _apply(
    q: Queries,
    config: Config,
    root: SigningKey | None,
    proposal: Proposal,
    outcome: str,
    *,
    actor: str,
    now: int,
) -> dict[str, Any]:
    tz = ZoneInfo(config.timezone)
    d = proposal.details
    assert proposal.closes_at is not None
    if proposal.kind == SHOP_APPROVAL and outcome == ADOPTED:
        try:
            added = await merchants.add_merchant(
                q, config, name=d["shop_name"], iban=d["iban"], bic=d.get("bic"), now=now
            )
        except merchants.MerchantError as exc:
            raise DemocracyError(f"the shop cannot be added: {exc}") from None
        review_at = add_months(now, proposal.rule.review_months, tz)
        await q.democracy.insert_shop_profile(
            added.merchant_id,
            address=d.get("address") or "",
            hours=d.get("hours") or "",
            scope=d.get("scope"),
            approved_at=now,
            proposal_id=proposal.proposal_id,
            review_at=review_at,
        )
        await q.console.append_audit(
            actor=actor,
            action="shop.add",
            target=added.merchant_id,
            detail={"proposal_id": proposal.proposal_id},
            now=now,
        )
        return {
            **asdict(added),
            "scope": d.get("scope"),
            "review_at": review_at,
            "review_date": local_date(review_at, tz),
        }
    if proposal.kind == SHOP_WITHDRAWAL and outcome == ADOPTED:
        effective = d.get("effective")
        start = day_start(parse_day(effective, "effective"), tz) if effective else None
        return await withdraw(
            q,
            config,
            root,
            d["merchant_id"],
            start or proposal.closes_at,
            proposal_id=proposal.proposal_id,
            actor=actor,
            now=now,
        )
    if proposal.kind == SHOP_REVIEW and outcome == ADOPTED:
        review_at = add_months(now, proposal.rule.review_months, tz)
        await q.democracy.set_review(d["merchant_id"], review_at)
        return {
            "merchant_id": d["merchant_id"],
            "review_at": review_at,
            "review_date": local_date(review_at, tz),
        }
    if proposal.kind == SHOP_REVIEW and outcome == REJECTED:
        return await withdraw(
            q,
            config,
            root,
            d["merchant_id"],
            proposal.closes_at,
            proposal_id=proposal.proposal_id,
            actor=actor,
            now=now,
        )
    if proposal.kind == RULE_CHANGE and outcome == ADOPTED:
        value = json.dumps(d["value"], ensure_ascii=False)
        await q.democracy.insert_scheduled_rule(
            proposal.proposal_id, d["topic"], d["period"], value, now
        )
        applied = {"topic": d["topic"], "period": d["period"], "value": d["value"]}
        if d["topic"] == "charter":
            applied["charter_version"] = await q.democracy.insert_charter(
                value, d["period"], now, proposal.proposal_id, proposal.title
            )
        return applied
    return {}


async def _ensure_profile(q: Queries, merchant_id: str) -> None:
    """A shop approved before the caisse voted (``merchant add``) gets a profile first."""
    if await q.democracy.shop_profile(merchant_id) is None:
        shop = await q.merchant(merchant_id)
        if shop is None:
            raise DemocracyError(f"no shop {merchant_id}")
        await q.democracy.insert_shop_profile(
            merchant_id,
            address="",
            hours="",
            scope=None,
            approved_at=shop["created_at"],
            proposal_id=None,
            review_at=None,
        )


async def describe_shop(
    q: Queries,
    merchant_id: str,
    *,
    address: str,
    hours: str,
    scope: str | None,
    actor: str,
    now: int,
) -> dict[str, Any]:
    """The directory entry of a shop the caisse approved before its members voted
    (``merchant add --address --hours --scope``): no review date, no proposal."""
    for name, value, limit in (
        ("address", address, 300),
        ("hours", hours, 300),
        ("scope", scope or "", 200),
    ):
        if len(value) > limit or any(ord(c) < 32 for c in value):
            raise DemocracyError(f"{name} is at most {limit} characters, on one line")
    shop = await q.merchant(merchant_id)
    if shop is None:
        raise DemocracyError(f"no shop {merchant_id}")
    if await q.democracy.shop_profile(merchant_id) is not None:
        raise DemocracyError(f"shop {merchant_id} already has its directory entry")
    await q.democracy.insert_shop_profile(
        merchant_id,
        address=address.strip(),
        hours=hours.strip(),
        scope=(scope or "").strip() or None,
        approved_at=shop["created_at"],
        proposal_id=None,
        review_at=None,
    )
    await q.console.append_audit(
        actor=actor,
        action="shop.describe",
        target=merchant_id,
        detail={"scope": scope},
        now=now,
    )
    return {
        "address": address.strip(),
        "hours": hours.strip(),
        "scope": (scope or "").strip() or None,
    }


async def withdraw(
    q: Queries,
    config: Config,
    root: SigningKey | None,
    merchant_id: str,
    from_ts: int,
    *,
    proposal_id: str,
    actor: str,
    now: int,
) -> dict[str, Any]:
    """Refuse the shop's receipts from ``from_ts``; applied at once when that is past."""
    await _ensure_profile(q, merchant_id)
    await q.democracy.set_withdrawal(merchant_id, from_ts, proposal_id)
    await q.democracy.set_review(merchant_id, None)
    tz = ZoneInfo(config.timezone)
    out: dict[str, Any] = {
        "merchant_id": merchant_id,
        "withdrawn_from": from_ts,
        "withdrawn_date": local_date(from_ts, tz),
    }
    due = await apply_due(q, config, root, actor=actor, now=now)
    out["in_effect"] = merchant_id in due["withdrawn"]
    if due["trust_list_seq"] is not None:
        out["trust_list_seq"] = due["trust_list_seq"]
    return out


async def apply_due(
    q: Queries, config: Config, root: SigningKey | None, *, actor: str, now: int
) -> dict[str, Any]:
    """Withdrawals whose date has come: the shop becomes ``withdrawn``, a new trust list."""
    await q.democracy.lock()  # one server process applies each withdrawal, once
    done = []
    for row in await q.democracy.shop_profiles():
        due = row["withdrawn_from"] is not None and row["withdrawn_from"] <= now
        if due and row["status"] == MERCHANT_ACTIVE:
            await q.set_merchant_status(row["merchant_id"], MERCHANT_WITHDRAWN, now)
            await q.cancel_codes(merchants.KIND, row["merchant_id"], now)
            await q.console.append_audit(
                actor=actor,
                action="shop.withdrawn",
                target=row["merchant_id"],
                detail={
                    "proposal_id": row["withdrawal_proposal_id"],
                    "from": row["withdrawn_from"],
                },
                now=now,
            )
            done.append(row["merchant_id"])
    seq = None
    if done and root is not None:
        seq = (await sign_new_list(q, config, root, now, "shop withdrawn")).seq
    return {"withdrawn": done, "trust_list_seq": seq}


# -- what everybody may read -------------------------------------------------------------


async def decisions_log(q: Queries) -> list[dict[str, Any]]:
    """The public log: every decision with its tally and the receipts counted."""
    return [
        {
            "decision_id": row["decision_id"],
            "decided_at": row["decided_at"],
            **json.loads(row["record"]),
        }
        for row in await q.democracy.decisions()
    ]


async def directory(q: Queries, config: Config, now: int) -> list[dict[str, Any]]:
    """The approved shops where members can pay now (name, address, hours, scope, since)."""
    tz = ZoneInfo(config.timezone)
    profiles = {row["merchant_id"]: row for row in await q.democracy.shop_profiles()}
    out = []
    for shop in await q.merchants():
        profile = profiles.get(shop["merchant_id"])
        if shop["status"] != MERCHANT_ACTIVE:
            continue
        withdrawn = profile["withdrawn_from"] if profile is not None else None
        if withdrawn is not None and withdrawn <= now:
            continue
        since = profile["approved_at"] if profile is not None else shop["created_at"]
        out.append(
            {
                "merchant_id": shop["merchant_id"],
                "name": shop["name"],
                "address": profile["address"] if profile is not None else "",
                "hours": profile["hours"] if profile is not None else "",
                "scope": profile["scope"] if profile is not None else None,
                "approved_since": local_date(since, tz),
                "until": local_date(profile["withdrawn_from"], tz) if profile else None,
            }
        )
    out.sort(key=lambda s: (s["name"].casefold(), s["merchant_id"]))
    return out


async def reviews_due(q: Queries, config: Config, now: int) -> list[dict[str, Any]]:
    """Approvals whose review date has come and that no vote is about yet."""
    tz = ZoneInfo(config.timezone)
    out = []
    for row in await q.democracy.shop_profiles():
        if row["review_at"] is None or row["review_at"] > now or row["withdrawn_from"]:
            continue
        if row["status"] != MERCHANT_ACTIVE or await q.democracy.pending_about(row["merchant_id"]):
            continue
        out.append(
            {
                "merchant_id": row["merchant_id"],
                "name": row["name"],
                "review_at": row["review_at"],
                "review_date": local_date(row["review_at"], tz),
                "scope": row["scope"],
            }
        )
    return out


async def propose_reviews(
    q: Queries,
    config: Config,
    *,
    opens: str | None,
    closes: str | None,
    actor: str,
    now: int,
) -> list[Proposal]:
    """Every due review becomes a proposal: keep this shop approved?"""
    made = []
    for due in await reviews_due(q, config, now):
        made.append(
            await add_proposal(
                q,
                config,
                kind=SHOP_REVIEW,
                title=f"Review: keep {due['name']} approved?",
                text=f"Approved until {due['review_date']}; scope: {due['scope'] or 'whole shop'}.",
                details={"merchant_id": due["merchant_id"]},
                opens=opens,
                closes=closes,
                proposed_by="review",
                actor=actor,
                now=now,
            )
        )
    return made

"""Panels and the committee drawn by lot among the members, and the strata they are drawn by.

The caisse announces the seed's commitment first (``announce``), draws when the
seed is revealed (``draw_panel``: the seed must match), and records declines,
each replaced in draw order (``decline``). What is published (``published``)
holds every input of ``sortition.draw``: anyone can recompute the panel.

Members appear in a published draw under a pseudonym of that draw only,
``hex(SHA-256(panel_id || 0x0A || member_id))[:16]``: a member can find theirs, a
shop cannot link it to the ``sub`` it sees in payments, and two draws cannot be
linked to each other.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any

from server.caisse.sortition import Candidate, SortitionError, commitment, draw
from server.caisse.statutes import DemocracyError
from server.storage.core import MEMBER_REVOKED, Queries

PURPOSES = ("committee", "panel")
STRATA = ("age_band", "household", "contribution_band")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
MAX_BAND = 40


def pseudonym(panel_id: str, member_id: str) -> str:
    return hashlib.sha256(f"{panel_id}\n{member_id}".encode()).hexdigest()[:16]


def _check_strata(strata: list[str] | tuple[str, ...]) -> list[str]:
    unknown = [s for s in strata if s not in STRATA]
    if unknown:
        raise DemocracyError(f"strata are among {', '.join(STRATA)}")
    if len(set(strata)) != len(strata):
        raise DemocracyError("each stratum is named once")
    return list(strata)


async def set_strata(
    q: Queries,
    member_id: str,
    *,
    age_band: str | None,
    household: str | None,
    contribution_band: str | None,
    actor: str,
    now: int,
) -> dict[str, Any]:
    """A member's strata (what the caisse knows from enrolment), for stratified draws."""
    member = await q.member(member_id)
    if member is None:
        raise DemocracyError(f"no member {member_id}")
    values = {"age_band": age_band, "household": household, "contribution_band": contribution_band}
    for name, value in values.items():
        if value is not None and (not value.strip() or len(value) > MAX_BAND):
            raise DemocracyError(f"{name} is 1 to {MAX_BAND} characters")
    await q.democracy.set_strata(member_id, age_band, household, contribution_band, now)
    await q.console.append_audit(
        actor=actor, action="member.strata", target=member_id, detail=values, now=now
    )
    return {"member_id": member_id, **values}


async def announce(
    q: Queries,
    *,
    purpose: str,
    size: int,
    strata: list[str] | tuple[str, ...],
    commitment_hex: str,
    actor: str,
    now: int,
) -> dict[str, Any]:
    """Publish that a draw will be made, with the SHA-256 of the seed still kept secret."""
    if purpose not in PURPOSES:
        raise DemocracyError(f"purpose is one of {', '.join(PURPOSES)}")
    if not isinstance(size, int) or not 1 <= size <= 1000:
        raise DemocracyError("a panel has 1 to 1000 members")
    if not HEX64.match(commitment_hex or ""):
        raise DemocracyError("the commitment is the SHA-256 of the seed, 64 hex digits")
    panel_id = f"panel-{secrets.token_hex(3)}"
    await q.democracy.insert_panel(
        panel_id, purpose, size, json.dumps(_check_strata(strata)), commitment_hex, now
    )
    await q.console.append_audit(
        actor=actor,
        action="panel.announce",
        target=panel_id,
        detail={"purpose": purpose, "size": size, "commitment": commitment_hex},
        now=now,
    )
    return {
        "panel_id": panel_id,
        "purpose": purpose,
        "size": size,
        "strata": list(strata),
        "commitment": commitment_hex,
    }


async def draw_panel(
    q: Queries,
    *,
    seed: str,
    panel_id: str | None = None,
    purpose: str = "panel",
    size: int | None = None,
    strata: list[str] | tuple[str, ...] = (),
    actor: str,
    now: int,
) -> dict[str, Any]:
    """Draw an announced panel (its commitment must match the seed), or announce and
    draw at once when no panel is named (then the commitment was not published first:
    the result says so with ``announced_first``)."""
    try:
        digest = commitment(seed)
    except SortitionError as exc:
        raise DemocracyError(str(exc)) from None
    announced_first = panel_id is not None
    if panel_id is None:
        if size is None:
            raise DemocracyError("--size is needed")
        panel_id = (
            await announce(
                q,
                purpose=purpose,
                size=size,
                strata=strata,
                commitment_hex=digest,
                actor=actor,
                now=now,
            )
        )["panel_id"]
    panel = await q.democracy.panel(panel_id)
    if panel is None:
        raise DemocracyError(f"no panel {panel_id}", "UNKNOWN_PANEL", 404)
    if panel["drawn_at"] is not None:
        raise DemocracyError(f"panel {panel_id} is already drawn", status=409)
    if panel["commitment"] != digest:
        raise DemocracyError("this seed does not match the announced commitment", status=409)
    rows = await q.democracy.eligible_members(now)
    eligible = [
        {
            "pseudonym": pseudonym(panel_id, row["member_id"]),
            "member_id": row["member_id"],
            "strata": {s: row[s] for s in STRATA if row[s]},
        }
        for row in rows
    ]
    try:
        result = draw(
            seed,
            [Candidate.of(e["pseudonym"], e["strata"]) for e in eligible],
            panel["size"],
            json.loads(panel["strata"]),
        )
    except SortitionError as exc:
        raise DemocracyError(str(exc)) from None
    await q.democracy.set_panel_drawn(
        panel_id, seed, json.dumps(eligible), json.dumps(result.to_json()), now
    )
    await q.console.append_audit(
        actor=actor,
        action="panel.draw",
        target=panel_id,
        detail={"seed": seed, "eligible": len(eligible), "members": list(result.members)},
        now=now,
    )
    return await _view(q, panel_id, announced_first=announced_first)


async def decline(q: Queries, panel_id: str, member_id: str, *, actor: str, now: int) -> dict:
    """A drawn member declines: the next member of their stratum in draw order sits."""
    panel = await q.democracy.panel(panel_id)
    if panel is None or panel["drawn_at"] is None:
        raise DemocracyError(f"no drawn panel {panel_id}", "UNKNOWN_PANEL", 404)
    eligible = json.loads(panel["eligible"])
    by_member = {e["member_id"]: e for e in eligible}
    before = json.loads(panel["result"])
    if member_id not in by_member or by_member[member_id]["pseudonym"] not in before["members"]:
        raise DemocracyError(f"member {member_id} does not sit on panel {panel_id}")
    await q.democracy.insert_decline(panel_id, member_id, now)
    declined = {by_member[m]["pseudonym"] for m in await q.democracy.declines(panel_id)}
    result = draw(
        panel["seed"],
        [Candidate.of(e["pseudonym"], e["strata"]) for e in eligible],
        panel["size"],
        json.loads(panel["strata"]),
        declined,
    )
    await q.democracy.set_panel_result(panel_id, json.dumps(result.to_json()))
    joined = sorted(set(result.members) - set(before["members"]))
    await q.console.append_audit(
        actor=actor,
        action="panel.decline",
        target=panel_id,
        detail={"declined": by_member[member_id]["pseudonym"], "joined": joined},
        now=now,
    )
    view = await _view(q, panel_id)
    by_pseudonym = {e["pseudonym"]: e["member_id"] for e in eligible}
    return {**view, "replaced_by": [by_pseudonym[p] for p in joined]}


async def seated(q: Queries, panel_id: str) -> list[str]:
    """Member ids sitting on a drawn panel now (declines replaced; revoked members out)."""
    panel = await q.democracy.panel(panel_id)
    if panel is None or panel["drawn_at"] is None:
        return []
    by_pseudonym = {e["pseudonym"]: e["member_id"] for e in json.loads(panel["eligible"])}
    out = []
    for p in json.loads(panel["result"])["members"]:
        member = await q.member(by_pseudonym[p])
        if member is not None and member["status"] != MEMBER_REVOKED:
            out.append(member["member_id"])
    return out


async def published(q: Queries, panel_id: str) -> dict[str, Any]:
    """Everything needed to recompute the draw, with pseudonyms only."""
    panel = await q.democracy.panel(panel_id)
    if panel is None:
        raise DemocracyError(f"no panel {panel_id}", "UNKNOWN_PANEL", 404)
    out = {
        "panel_id": panel_id,
        "purpose": panel["purpose"],
        "size": panel["size"],
        "strata": json.loads(panel["strata"]),
        "commitment": panel["commitment"],
        "announced_at": panel["announced_at"],
        "drawn_at": panel["drawn_at"],
        "seed": panel["seed"],
        "procedure": "server/caisse/sortition.py; docs/democracy.md",
    }
    if panel["drawn_at"] is not None:
        result = json.loads(panel["result"])
        out["eligible"] = [
            {"pseudonym": e["pseudonym"], "strata": e["strata"]}
            for e in json.loads(panel["eligible"])
        ]
        out.update(members=result["members"], declined=result["declined"], quotas=result["quotas"])
    return out


async def _view(q: Queries, panel_id: str, *, announced_first: bool | None = None) -> dict:
    panel = await q.democracy.panel(panel_id)
    assert panel is not None
    result = json.loads(panel["result"])
    by_pseudonym = {e["pseudonym"]: e["member_id"] for e in json.loads(panel["eligible"])}
    out = {
        "panel_id": panel_id,
        "purpose": panel["purpose"],
        "seed": panel["seed"],
        "commitment": panel["commitment"],
        "members": [by_pseudonym[p] for p in result["members"]],
        "pseudonyms": result["members"],
        "eligible": len(by_pseudonym),
        "quotas": result["quotas"],
        "declined": [by_pseudonym[p] for p in result["declined"]],
    }
    if announced_first is not None:
        out["announced_first"] = announced_first
    return out

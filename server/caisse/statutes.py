"""The caisse's statutes and charter as data: decision rules per kind of proposal, the
criteria shops are assessed against, and the calendar helpers votes are timed with.

The rule of a kind is, in order of precedence: the latest statutes change decided by
a vote and in force for the month (``rule-change`` on ``statutes``), else what the
caisse typed in when it was founded (``ssa-admin statutes set``), else the defaults
below. A proposal copies its rule when it is scheduled, so a later change of the
statutes never changes a vote under way.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.caisse.tally import Rule, RuleError
from server.errors import DomainError
from server.periods import period_at
from server.storage.core import Queries

SHOP_APPROVAL, SHOP_WITHDRAWAL, SHOP_REVIEW = "shop-approval", "shop-withdrawal", "shop-review"
RULE_CHANGE, CONSULTATION = "rule-change", "consultation"
KINDS = (SHOP_APPROVAL, SHOP_WITHDRAWAL, SHOP_REVIEW, RULE_CHANGE, CONSULTATION)

DEFAULT_RULES: dict[str, Rule] = {
    SHOP_APPROVAL: Rule(quorum_percent=10, majority="simple"),
    SHOP_WITHDRAWAL: Rule(quorum_percent=10, majority="simple"),
    SHOP_REVIEW: Rule(quorum_percent=5, majority="simple"),
    RULE_CHANGE: Rule(quorum_percent=20, majority="two-thirds"),
    CONSULTATION: Rule(quorum_percent=0, majority="simple"),
}

# The charter's criteria (docs/democracy.md): what a shop is assessed against.
DEFAULT_CRITERIA: list[dict[str, str]] = [
    {
        "id": "local",
        "name": "Local sourcing",
        "description": "Most fresh products come from producers within about 100 km.",
        "assessment": "Ask the shop for its main suppliers; check their addresses.",
    },
    {
        "id": "agroecology",
        "name": "Agroecological or organic practice",
        "description": "The products come from organic, agroecological or low-input farming.",
        "assessment": "Labels (organic, participatory guarantee systems) or a farm visit.",
    },
    {
        "id": "fair-pay",
        "name": "Fair pay for producers",
        "description": "Producers are paid a price that covers their costs and a living wage.",
        "assessment": "Ask producers; look at contracts or price agreements.",
    },
    {
        "id": "working-conditions",
        "name": "Working conditions",
        "description": "The shop's workers have fair contracts, hours and pay.",
        "assessment": "Talk with the workers; ask about contracts and turnover.",
    },
    {
        "id": "prices",
        "name": "Accessible prices",
        "description": "A basket of everyday products costs no more than in an ordinary shop.",
        "assessment": "Compare a basket of 15 everyday products with a nearby supermarket.",
    },
]
EVALUATIONS = ("meets", "partly", "does-not-meet", "not-assessed")
MAX_TEXT = 2000


class DemocracyError(DomainError):
    """A proposal, ballot, count, panel or decision that cannot be made; says why.

    ``error`` is the API's code; ``status`` the HTTP status the contract gives it
    (VOTING_CLOSED 409, KEY_REVOKED 403, ...), carried here because one code family
    spans several statuses.
    """

    code = "INVALID_PROPOSAL"

    def __init__(self, message: str, error: str = "INVALID_PROPOSAL", status: int = 400) -> None:
        super().__init__(message, error)
        self.status = status


# -- the calendar ------------------------------------------------------------------


def parse_day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise DemocracyError(f"{name} must be a date YYYY-MM-DD") from None


def day_start(day: date, tz: ZoneInfo) -> int:
    """Local midnight at the start of ``day``, in epoch seconds."""
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())


def window(opens: str, closes: str, tz: ZoneInfo) -> tuple[int, int]:
    """``--opens D1 --closes D2``: from local midnight of D1 to the end of D2 (inclusive)."""
    first, last = parse_day(opens, "opens"), parse_day(closes, "closes")
    if last < first:
        raise DemocracyError("the vote cannot close before it opens")
    if (last - first).days > 366:
        raise DemocracyError("a vote lasts at most a year")
    return day_start(first, tz), day_start(last + timedelta(days=1), tz)


def add_months(ts: int, months: int, tz: ZoneInfo) -> int:
    """The same local day ``months`` later (the month's last day when it has fewer)."""
    local = datetime.fromtimestamp(ts, tz)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    for day in range(local.day, 27, -1):
        try:
            return day_start(date(year, month, day), tz)
        except ValueError:
            continue
    return day_start(date(year, month, min(local.day, 28)), tz)


def check_period(text: Any) -> str:
    if not isinstance(text, str) or len(text) != 7 or text[4] != "-":
        raise DemocracyError("the period is a month YYYY-MM")
    try:
        year, month = int(text[:4]), int(text[5:])
    except ValueError:
        raise DemocracyError("the period is a month YYYY-MM") from None
    if not (2000 <= year <= 2999 and 1 <= month <= 12):
        raise DemocracyError("the period is a month YYYY-MM")
    return text


def month_of(ts: int, tz: ZoneInfo) -> str:
    return period_at(ts, tz).name


# -- rules ---------------------------------------------------------------------------


async def rules_in_force(q: Queries, period: str) -> dict[str, Rule]:
    """Every kind's rule for proposals scheduled in ``period``."""
    rules = dict(DEFAULT_RULES)
    for row in await q.democracy.statutes():
        if row["kind"] in rules:
            rules[row["kind"]] = Rule.from_json(json.loads(row["rule"]))
    decided = await q.democracy.rule_in_force("statutes", period)
    if decided:
        for kind, rule in json.loads(decided).items():
            if kind in rules:
                rules[kind] = rules[kind].with_(**rule)
    return rules


def check_statutes(value: Any) -> dict[str, dict[str, Any]]:
    """A statutes change: ``{kind: {rule fields}}``, each field checked."""
    if not isinstance(value, dict) or not value:
        raise DemocracyError("a statutes change names kinds and their rule fields")
    out = {}
    for kind, fields in value.items():
        if kind not in KINDS:
            raise DemocracyError(f"unknown kind {kind!r:.40}")
        try:
            DEFAULT_RULES[kind].with_(**dict(fields))
        except (RuleError, TypeError) as exc:
            raise DemocracyError(f"{kind}: {exc}") from None
        out[kind] = dict(fields)
    return out


async def set_founding_rule(
    q: Queries, kind: str, changes: dict[str, Any], *, actor: str, now: int
) -> dict[str, Any]:
    """The statutes as adopted at the founding assembly, typed in by the caisse."""
    if kind not in KINDS:
        raise DemocracyError(f"kind must be one of {', '.join(KINDS)}")
    current = {row["kind"]: row for row in await q.democracy.statutes()}
    base = (
        Rule.from_json(json.loads(current[kind]["rule"]))
        if kind in current
        else DEFAULT_RULES[kind]
    )
    try:
        rule = base.with_(**changes)
    except RuleError as exc:
        raise DemocracyError(str(exc)) from None
    await q.democracy.set_statute(kind, json.dumps(rule.to_json()), now, None)
    await q.console.append_audit(
        actor=actor, action="statutes.set", target=kind, detail=rule.to_json(), now=now
    )
    return {"kind": kind, "rule": rule.to_json()}


# -- the charter -----------------------------------------------------------------------


async def charter_in_force(q: Queries, period: str) -> dict[str, Any]:
    """The charter for ``period``: its version (0 = the default, not yet voted) and criteria."""
    for row in await q.democracy.charter_versions():
        if row["period"] <= period:
            return {
                "version": row["version"],
                "period": row["period"],
                "adopted_at": row["adopted_at"],
                "proposal_id": row["proposal_id"],
                "criteria": json.loads(row["criteria"]),
            }
    return {
        "version": 0,
        "period": None,
        "adopted_at": None,
        "proposal_id": None,
        "criteria": DEFAULT_CRITERIA,
    }


def check_criteria(value: Any) -> list[dict[str, str]]:
    """A charter: 1 to 20 criteria, each ``{id, name, description, assessment}``."""
    if not isinstance(value, list) or not 1 <= len(value) <= 20:
        raise DemocracyError("a charter has 1 to 20 criteria")
    out, seen = [], set()
    for item in value:
        if not isinstance(item, dict):
            raise DemocracyError("each criterion is {id, name, description, assessment}")
        fields = {}
        for key, limit in (("id", 40), ("name", 120), ("description", 600), ("assessment", 600)):
            text = item.get(key)
            if not isinstance(text, str) or not text.strip() or len(text) > limit:
                raise DemocracyError(f"criterion {key} must be 1 to {limit} characters")
            fields[key] = text.strip()
        if fields["id"] in seen:
            raise DemocracyError(f"criterion id {fields['id']!r} appears twice")
        seen.add(fields["id"])
        out.append(fields)
    return out


async def assess(
    q: Queries,
    tz: ZoneInfo,
    *,
    proposal_id: str,
    evaluations: list[dict[str, str]],
    summary: str,
    actor: str,
    now: int,
) -> dict[str, Any]:
    """The committee's assessment of a shop against every criterion of the charter."""
    proposal = await q.democracy.proposal(proposal_id)
    if proposal is None:
        raise DemocracyError(f"no proposal {proposal_id}", "UNKNOWN_PROPOSAL", 404)
    if proposal["kind"] not in (SHOP_APPROVAL, SHOP_REVIEW):
        raise DemocracyError("only a shop's approval or review is assessed")
    charter = await charter_in_force(q, month_of(now, tz))
    ids = [c["id"] for c in charter["criteria"]]
    given = {e.get("criterion"): e for e in evaluations if isinstance(e, dict)}
    missing = [i for i in ids if i not in given]
    extra = sorted(str(k) for k in set(given) - set(ids))
    if missing or extra or len(given) != len(evaluations):
        raise DemocracyError(
            f"assess each criterion of charter v{charter['version']} once: {', '.join(ids)}"
        )
    clean = []
    for criterion in ids:
        e = given[criterion]
        evaluation, justification = e.get("evaluation"), (e.get("justification") or "").strip()
        if evaluation not in EVALUATIONS:
            raise DemocracyError(f"{criterion}: evaluation is one of {', '.join(EVALUATIONS)}")
        if evaluation != "not-assessed" and not justification:
            raise DemocracyError(f"{criterion}: say why (a justification)")
        if len(justification) > MAX_TEXT:
            raise DemocracyError(f"{criterion}: the justification is at most {MAX_TEXT} characters")
        clean.append(
            {"criterion": criterion, "evaluation": evaluation, "justification": justification}
        )
    if len(summary) > MAX_TEXT:
        raise DemocracyError(f"the summary is at most {MAX_TEXT} characters")
    assessment_id = await q.democracy.insert_assessment(
        proposal_id, charter["version"], json.dumps(clean), summary.strip(), actor, now
    )
    await q.console.append_audit(
        actor=actor,
        action="proposal.assess",
        target=proposal_id,
        detail={"assessment_id": assessment_id, "charter_version": charter["version"]},
        now=now,
    )
    return {
        "assessment_id": assessment_id,
        "proposal_id": proposal_id,
        "charter_version": charter["version"],
        "evaluations": clean,
        "summary": summary.strip(),
    }


async def assessments(q: Queries, proposal_id: str) -> list[dict[str, Any]]:
    return [
        {
            "assessment_id": row["assessment_id"],
            "charter_version": row["charter_version"],
            "evaluations": json.loads(row["evaluations"]),
            "summary": row["summary"],
            "assessed_by": row["assessed_by"],
            "assessed_at": row["assessed_at"],
        }
        for row in await q.democracy.assessments(proposal_id)
    ]

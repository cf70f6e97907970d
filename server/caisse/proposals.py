"""Proposals: what members and the committee put to the vote, from screening to the close.

Kinds (``statutes.KINDS``): approve a shop (name, address, hours, IBAN, scope),
withdraw a shop (from a date), review an approved shop, change a rule (allowance,
contribution scheme, charter, statutes: with the month it takes effect), and a
consultation (a question with options). Any member may propose (wallet, or a
volunteer in the console): the proposal waits in ``screening`` until the committee
schedules it (a voting window, the rule of the statutes) or sets it aside. The
committee and ``ssa-admin proposal add`` may schedule at once.

A proposal's state at an instant: ``screening``, ``set-aside``, ``upcoming``,
``open`` (ballots taken), ``counting`` (the window is over, the count not yet
made), ``closed``.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from server.caisse import merchants
from server.caisse.statutes import (
    CONSULTATION,
    KINDS,
    MAX_TEXT,
    RULE_CHANGE,
    SHOP_APPROVAL,
    SHOP_REVIEW,
    SHOP_WITHDRAWAL,
    DemocracyError,
    check_criteria,
    check_period,
    check_statutes,
    month_of,
    parse_day,
    rules_in_force,
    window,
)
from server.caisse.tally import Rule, RuleError, check_options, choices
from server.config import Config
from server.db.seam import Row
from server.storage.core import Queries

SCREENING, SCHEDULED, CLOSED, SET_ASIDE = "screening", "scheduled", "closed", "set-aside"
TOPICS = ("allowance", "contribution", "charter", "statutes")
MAX_TITLE = 200
MAX_ALLOWANCE_CENTS = 100_000


@dataclass(frozen=True, slots=True)
class Proposal:
    proposal_id: str
    kind: str
    title: str
    text: str
    options: tuple[str, ...]
    details: dict[str, Any]
    rule: Rule
    status: str  # as stored: screening, scheduled, closed, set-aside
    proposed_by: str
    created_at: int
    opens_at: int | None = None
    closes_at: int | None = None
    panel_id: str | None = None
    subject: str | None = None
    screened_at: int | None = None
    screening_note: str | None = None
    closed_at: int | None = None
    result: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def choices(self) -> tuple[str, ...]:
        return choices(self.options)

    def state(self, now: int) -> str:
        if self.status != SCHEDULED:
            return self.status
        assert self.opens_at is not None and self.closes_at is not None
        if now < self.opens_at:
            return "upcoming"
        return "open" if now < self.closes_at else "counting"

    def is_open(self, now: int) -> bool:
        return self.state(now) == "open"

    def public_details(self) -> dict[str, Any]:
        """What members and the public see: not the shop's bank details."""
        return {k: v for k, v in self.details.items() if k not in ("iban", "bic")}

    def to_json(self, now: int, *, private: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "proposal_id": self.proposal_id,
            "kind": self.kind,
            "title": self.title,
            "text": self.text,
            "options": list(self.choices),
            "details": self.details if private else self.public_details(),
            "rule": self.rule.to_json(),
            "opens_at": self.opens_at,
            "closes_at": self.closes_at,
            "status": self.state(now),
            "panel_id": self.panel_id,
        }
        if private:
            out.update(
                proposed_by=self.proposed_by,
                created_at=self.created_at,
                screening_note=self.screening_note,
            )
        if self.result is not None:
            out["result"] = public_result(self.result) if not private else self.result
        return out


def public_result(result: dict[str, Any]) -> dict[str, Any]:
    """A close's result without what is for the committee only (the enrolment code)."""
    applied = {k: v for k, v in (result.get("applied") or {}).items() if k != "enrollment_code"}
    return {**result, "applied": applied}


def from_row(row: Row) -> Proposal:
    return Proposal(
        proposal_id=row["proposal_id"],
        kind=row["kind"],
        title=row["title"],
        text=row["text"],
        options=tuple(json.loads(row["options"])),
        details=json.loads(row["details"]),
        rule=Rule.from_json(json.loads(row["rule"])),
        status=row["status"],
        proposed_by=row["proposed_by"],
        created_at=row["created_at"],
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        panel_id=row["panel_id"],
        subject=row["subject"],
        screened_at=row["screened_at"],
        screening_note=row["screening_note"],
        closed_at=row["closed_at"],
        result=json.loads(row["result"]) if row["result"] else None,
    )


async def get(q: Queries, proposal_id: Any) -> Proposal:
    row = await q.democracy.proposal(proposal_id) if isinstance(proposal_id, str) else None
    if row is None:
        raise DemocracyError(f"no proposal {str(proposal_id)[:40]}", "UNKNOWN_PROPOSAL", 404)
    return from_row(row)


async def all_proposals(q: Queries) -> list[Proposal]:
    return [from_row(row) for row in await q.democracy.proposals()]


# -- checking what is proposed ---------------------------------------------------------


def _text(value: Any, name: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > limit:
        raise DemocracyError(f"{name} must be text of at most {limit} characters")
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise DemocracyError(f"{name} must not contain control characters")
    if required and not value.strip():
        raise DemocracyError(f"{name} is required")
    return value.strip()


async def check_details(
    q: Queries, kind: str, raw: dict[str, Any], *, complete: bool
) -> dict[str, Any]:
    """The details of a kind, checked; ``complete``: ready to be voted on (an IBAN...)."""
    try:
        return await _check_details(q, kind, raw, complete=complete)
    except merchants.MerchantError as exc:
        raise DemocracyError(str(exc)) from None


async def _check_details(
    q: Queries, kind: str, raw: dict[str, Any], *, complete: bool
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DemocracyError("details are a JSON object")
    if kind == SHOP_APPROVAL:
        iban = _text(raw.get("iban"), "iban", 60)
        if iban:
            iban = merchants.check_iban(iban)
        elif complete:
            raise DemocracyError("the shop's IBAN is needed before the vote (it will be paid)")
        scope = _text(raw.get("scope"), "scope", 200)
        return {
            "shop_name": _text(
                raw.get("shop_name"), "shop name", merchants.MAX_NAME, required=True
            ),
            "address": _text(raw.get("address"), "address", 300),
            "hours": _text(raw.get("hours"), "hours", 300),
            "iban": iban,
            "bic": merchants.check_bic(_text(raw.get("bic"), "bic", 20) or None),
            "scope": scope or None,  # None: the whole shop
        }
    if kind in (SHOP_WITHDRAWAL, SHOP_REVIEW):
        merchant_id = raw.get("merchant_id")
        shop = await q.merchant(merchant_id) if isinstance(merchant_id, str) else None
        if shop is None:
            raise DemocracyError(f"no shop {str(merchant_id)[:60]}")
        if await q.democracy.withdrawn_from(shop["merchant_id"]) is not None:
            raise DemocracyError(f"shop {merchant_id} is already withdrawn")
        out: dict[str, Any] = {"merchant_id": shop["merchant_id"], "shop_name": shop["name"]}
        if kind == SHOP_WITHDRAWAL:
            effective = raw.get("effective")
            if effective:
                parse_day(effective, "effective")
            out["effective"] = effective or None  # None: the day after the vote closes
            out["reason"] = _text(raw.get("reason"), "reason", MAX_TEXT)
        return out
    if kind == RULE_CHANGE:
        topic = raw.get("topic")
        if topic not in TOPICS:
            raise DemocracyError(f"topic must be one of {', '.join(TOPICS)}")
        period = check_period(raw.get("period"))
        value = raw.get("value")
        if topic == "allowance":
            if not isinstance(value, int) or isinstance(value, bool):
                raise DemocracyError("an allowance is a whole number of cents")
            if not 0 <= value <= MAX_ALLOWANCE_CENTS:
                raise DemocracyError(f"an allowance is 0 to {MAX_ALLOWANCE_CENTS} cents")
        elif topic == "contribution":
            value = _text(value, "contribution scheme", MAX_TEXT, required=True)
        elif topic == "charter":
            value = check_criteria(value)
        else:
            value = check_statutes(value)
        return {"topic": topic, "period": period, "value": value}
    return {}


async def _rule(
    q: Queries, kind: str, month: str, changes: dict[str, Any] | None, panel_id: str | None
) -> tuple[Rule, str | None]:
    """The kind's rule of the statutes with this vote's changes, and the deciding panel:
    a drawn panel named for the vote, or the committee drawn last (fixed for the vote)."""
    base = (await rules_in_force(q, month))[kind]
    try:
        rule = base.with_(**(changes or {}))
    except (RuleError, TypeError) as exc:
        raise DemocracyError(str(exc)) from None
    if rule.deciders == "panel":
        panel = await q.democracy.panel(panel_id) if panel_id else None
        if panel is None or panel["drawn_at"] is None:
            raise DemocracyError("a vote by a drawn panel names a panel already drawn (--panel)")
        return rule, panel_id
    if rule.deciders == "committee":
        committee = await q.democracy.latest_drawn_panel("committee")
        if committee is None:
            raise DemocracyError("no committee has been drawn yet (ssa-admin panel draw)")
        return rule, committee["panel_id"]
    return rule, None


# -- proposing, screening --------------------------------------------------------------


async def add_proposal(
    q: Queries,
    config: Config,
    *,
    kind: str,
    title: str,
    text: str = "",
    options: list[str] | tuple[str, ...] = (),
    details: dict[str, Any] | None = None,
    opens: str | None = None,
    closes: str | None = None,
    rule_changes: dict[str, Any] | None = None,
    panel_id: str | None = None,
    proposed_by: str,
    actor: str,
    now: int,
) -> Proposal:
    """A new proposal: scheduled when a window is given, else waiting for screening."""
    if kind not in KINDS:
        raise DemocracyError(f"kind must be one of {', '.join(KINDS)}")
    tz = ZoneInfo(config.timezone)
    try:
        opts = check_options(list(options)) if kind == CONSULTATION else ()
    except RuleError as exc:
        raise DemocracyError(str(exc)) from None
    if options and kind != CONSULTATION:
        raise DemocracyError("only a consultation has options; the others are yes/no")
    scheduled = bool(opens or closes)
    if scheduled and not (opens and closes):
        raise DemocracyError("a vote needs both --opens and --closes")
    checked = await check_details(q, kind, details or {}, complete=scheduled)
    opens_at = closes_at = None
    if scheduled:
        opens_at, closes_at = window(opens, closes, tz)  # type: ignore[arg-type]
        if closes_at <= now:
            raise DemocracyError("this voting window is already over")
    rule, deciding_panel = await _rule(q, kind, month_of(now, tz), rule_changes, panel_id)
    subject = checked.get("merchant_id")
    if subject and await q.democracy.pending_about(subject):
        raise DemocracyError(f"a proposal about {subject} is already under way")
    proposal_id = f"p-{secrets.token_hex(4)}"
    values = {
        "proposal_id": proposal_id,
        "kind": kind,
        "title": _text(title, "title", MAX_TITLE, required=True),
        "text": _text(text, "text", MAX_TEXT * 2),
        "options": json.dumps(list(opts), ensure_ascii=False),
        "details": json.dumps(checked, ensure_ascii=False),
        "rule": json.dumps(rule.to_json()),
        "panel_id": deciding_panel,
        "subject": subject,
        "status": SCHEDULED if scheduled else SCREENING,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "proposed_by": proposed_by,
        "created_at": now,
        "screened_at": now if scheduled else None,
    }
    await q.democracy.insert_proposal(values)
    await q.console.append_audit(
        actor=actor,
        action="proposal.add",
        target=proposal_id,
        detail={"kind": kind, "status": values["status"], "proposed_by": proposed_by},
        now=now,
    )
    return await get(q, proposal_id)


async def screen(
    q: Queries,
    config: Config,
    proposal_id: str,
    *,
    accept: bool,
    opens: str | None = None,
    closes: str | None = None,
    rule_changes: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    panel_id: str | None = None,
    note: str | None = None,
    actor: str,
    now: int,
) -> Proposal:
    """The committee schedules a member's proposal for a vote, or sets it aside (says why)."""
    proposal = await get(q, proposal_id)
    if proposal.status != SCREENING:
        raise DemocracyError(f"proposal {proposal_id} is not waiting for screening", status=409)
    note = _text(note, "note", MAX_TEXT)
    tz = ZoneInfo(config.timezone)
    if accept:
        if not (opens and closes):
            raise DemocracyError("scheduling a vote needs --opens and --closes")
        merged = await check_details(
            q, proposal.kind, {**proposal.details, **(details or {})}, complete=True
        )
        opens_at, closes_at = window(opens, closes, tz)
        if closes_at <= now:
            raise DemocracyError("this voting window is already over")
        rule, deciding_panel = await _rule(
            q, proposal.kind, month_of(now, tz), rule_changes, panel_id
        )
        if merged != proposal.details:
            await q.democracy.update_details(proposal_id, json.dumps(merged, ensure_ascii=False))
        status, rule_json = SCHEDULED, json.dumps(rule.to_json())
    else:
        if not note:
            raise DemocracyError("say why the proposal is set aside (--note)")
        status, opens_at, closes_at, rule = SET_ASIDE, None, None, proposal.rule
        deciding_panel = None
        rule_json = json.dumps(rule.to_json())
    await q.democracy.screen_proposal(
        proposal_id,
        status=status,
        opens_at=opens_at,
        closes_at=closes_at,
        rule=rule_json,
        panel_id=deciding_panel,
        note=note or None,
        now=now,
    )
    await q.console.append_audit(
        actor=actor,
        action="proposal.screen",
        target=proposal_id,
        detail={"status": status},
        now=now,
    )
    return await get(q, proposal_id)

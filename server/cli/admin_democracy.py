"""``ssa-admin`` commands of democratic conventionnement (registered by ``admin``).

``proposal`` (add, list, show, screen, assess, proxy, assembly, close, recount,
reviews), ``panel`` (announce, draw, decline, show), ``member strata``,
``statutes``, ``charter`` and ``decisions``: JSON on stdout, messages on stderr.
Every change is written to the audit log with the actor ``cli:$USER``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from keys import keystore
from server.caisse import ballots, decisions, panels, proposals, statutes
from server.caisse.keyring import load_root_key
from server.caisse.setup import Caisse
from server.caisse.statutes import DemocracyError
from server.cli.output import now, out, say

ERRORS = (DemocracyError,)
RULE_OPTIONS = (
    ("--deciders", "deciders", str),
    ("--quorum-percent", "quorum_percent", int),
    ("--majority", "majority", str),
    ("--consent-threshold-percent", "consent_threshold_percent", int),
    ("--window-days", "window_days", int),
    ("--proxy-cap", "proxy_cap", int),
    ("--review-months", "review_months", int),
)


def actor() -> str:
    return f"cli:{os.environ.get('USER') or 'ssa-admin'}"


def _root(caisse: Caisse):
    """The root key when a passphrase can be had; None otherwise (signed at the next refresh)."""
    if not os.environ.get("SSA_PASSPHRASE") and not sys.stdin.isatty():
        return None
    return load_root_key(caisse.config, keystore.passphrase_from_env_or_prompt())


def _rule_changes(args: argparse.Namespace) -> dict[str, Any]:
    return {
        field: getattr(args, field)
        for _, field, _ in RULE_OPTIONS
        if getattr(args, field, None) is not None
    }


def _value(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _details(args: argparse.Namespace) -> dict[str, Any]:
    if args.kind == statutes.SHOP_APPROVAL:
        return {
            "shop_name": args.shop_name,
            "address": args.address,
            "hours": args.hours,
            "iban": args.iban,
            "bic": args.bic,
            "scope": args.scope,
        }
    if args.kind in (statutes.SHOP_WITHDRAWAL, statutes.SHOP_REVIEW):
        return {"merchant_id": args.merchant, "effective": args.effective, "reason": args.reason}
    if args.kind == statutes.RULE_CHANGE:
        value = _value(args.value)
        if args.value_file:
            value = json.loads(Path(args.value_file).read_text(encoding="utf-8"))
        return {"topic": args.topic, "period": args.period, "value": value}
    return {}


def _strata(values: list[str] | None) -> list[str]:
    return [s.strip() for v in values or [] for s in v.split(",") if s.strip()]


# -- proposal ----------------------------------------------------------------------------


async def cmd_proposal_add(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    async with caisse.storage.transaction() as q:
        made = await proposals.add_proposal(
            q,
            caisse.config,
            kind=args.kind,
            title=args.title,
            text=args.text or "",
            options=args.option or [],
            details=_details(args),
            opens=args.opens,
            closes=args.closes,
            rule_changes=_rule_changes(args),
            panel_id=args.panel,
            proposed_by=args.proposed_by or actor(),
            actor=actor(),
            now=t,
        )
    out(made.to_json(t))
    say(f"proposal {made.proposal_id}: {made.state(t)}")
    return 0


async def cmd_proposal_list(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    async with caisse.storage.read() as q:
        for p in await proposals.all_proposals(q):
            row = p.to_json(t)
            row.pop("details")
            row.pop("result", None)
            out(row)
    return 0


async def cmd_proposal_show(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    async with caisse.storage.read() as q:
        p = await proposals.get(q, args.id)
        shown = p.to_json(t)
        shown["assessments"] = await statutes.assessments(q, p.proposal_id)
        shown["proxies"] = [dict(r) for r in await q.democracy.proxies(p.proposal_id)]
        shown["assembly_counts"] = [
            {**dict(r), "counts": json.loads(r["counts"])}
            for r in await q.democracy.assembly_counts(p.proposal_id)
        ]
        if p.status == proposals.SCHEDULED:
            shown["ballots_so_far"] = sum((await q.democracy.ballot_counts(p.proposal_id)).values())
    out(shown)
    return 0


async def cmd_proposal_screen(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    details = {k: v for k, v in (("iban", args.iban), ("bic", args.bic)) if v}
    async with caisse.storage.transaction() as q:
        p = await proposals.screen(
            q,
            caisse.config,
            args.id,
            accept=not args.set_aside,
            opens=args.opens,
            closes=args.closes,
            rule_changes=_rule_changes(args),
            details=details,
            panel_id=args.panel,
            note=args.note,
            actor=actor(),
            now=t,
        )
    out(p.to_json(t))
    return 0


async def cmd_proposal_assess(args: argparse.Namespace, caisse: Caisse) -> int:
    try:
        doc = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DemocracyError(f"{args.file} is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise DemocracyError('the file is {"evaluations": [...], "summary": "..."}')
    async with caisse.storage.transaction() as q:
        out(
            await statutes.assess(
                q,
                ZoneInfo(caisse.config.timezone),
                proposal_id=args.id,
                evaluations=doc.get("evaluations") or [],
                summary=str(doc.get("summary") or ""),
                actor=actor(),
                now=now(),
            )
        )
    return 0


async def cmd_proposal_proxy(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.transaction() as q:
        out(
            await ballots.grant_proxy(
                q,
                proposal_id=args.id,
                grantor_id=args.grantor,
                holder_id=args.holder,
                actor=actor(),
                now=now(),
            )
        )
    return 0


async def cmd_proposal_assembly(args: argparse.Namespace, caisse: Caisse) -> int:
    counts: dict[str, Any] = {}
    for item in args.count or []:
        choice, sep, n = item.rpartition("=")
        if not sep or not n.isdigit():
            raise DemocracyError(f"--count is CHOICE=N, not {item!r:.60}")
        counts[choice] = counts.get(choice, 0) + int(n)
    async with caisse.storage.transaction() as q:
        out(
            await ballots.record_assembly(
                q,
                proposal_id=args.id,
                meeting=args.meeting,
                counts=counts,
                actor=actor(),
                now=now(),
            )
        )
    return 0


async def cmd_proposal_close(args: argparse.Namespace, caisse: Caisse) -> int:
    root = _root(caisse)
    async with caisse.storage.transaction() as q:
        closed = await decisions.close(
            q, caisse.config, root, proposal_id=args.id, actor=actor(), now=now()
        )
    out(closed.to_json())
    if "enrollment_code" in closed.applied:
        say(
            f"shop approved as {closed.applied['merchant_id']}: hand the enrolment code "
            "to the shopkeeper (shown once)"
        )
    return 0


async def cmd_proposal_recount(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.read() as q:
        out(await ballots.recount(q, args.id, now()))
    return 0


async def cmd_proposal_reviews(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    if not args.propose:
        async with caisse.storage.read() as q:
            for due in await decisions.reviews_due(q, caisse.config, t):
                out(due)
        return 0
    async with caisse.storage.transaction() as q:
        for p in await decisions.propose_reviews(
            q, caisse.config, opens=args.opens, closes=args.closes, actor=actor(), now=t
        ):
            out(p.to_json(t))
    return 0


# -- panel, strata, statutes, charter, decisions --------------------------------------------


async def cmd_panel_announce(args: argparse.Namespace, caisse: Caisse) -> int:
    commitment = args.commitment
    if commitment is None and args.seed_file:
        from server.caisse.sortition import commitment as commit

        commitment = commit(Path(args.seed_file).read_text(encoding="utf-8").strip())
    async with caisse.storage.transaction() as q:
        out(
            await panels.announce(
                q,
                purpose=args.purpose,
                size=args.size,
                strata=_strata(args.strata),
                commitment_hex=commitment or "",
                actor=actor(),
                now=now(),
            )
        )
    return 0


async def cmd_panel_draw(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.transaction() as q:
        drawn = await panels.draw_panel(
            q,
            seed=args.seed,
            panel_id=args.panel,
            purpose=args.purpose,
            size=args.size,
            strata=_strata(args.strata),
            actor=actor(),
            now=now(),
        )
    out(drawn)
    if drawn.get("announced_first") is False:
        say("the seed's commitment was not announced before this draw (panel announce)")
    return 0


async def cmd_panel_decline(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.transaction() as q:
        out(await panels.decline(q, args.panel, args.member, actor=actor(), now=now()))
    return 0


async def cmd_panel_show(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.read() as q:
        out(await panels.published(q, args.panel))
    return 0


async def cmd_member_strata(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.transaction() as q:
        out(
            await panels.set_strata(
                q,
                args.id,
                age_band=args.age_band,
                household=args.household,
                contribution_band=args.contribution_band,
                actor=actor(),
                now=now(),
            )
        )
    return 0


async def cmd_statutes_show(args: argparse.Namespace, caisse: Caisse) -> int:
    tz = ZoneInfo(caisse.config.timezone)
    async with caisse.storage.read() as q:
        rules = await statutes.rules_in_force(q, statutes.month_of(now(), tz))
    out({kind: rule.to_json() for kind, rule in rules.items()})
    return 0


async def cmd_statutes_set(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.transaction() as q:
        out(
            await statutes.set_founding_rule(
                q, args.kind, _rule_changes(args), actor=actor(), now=now()
            )
        )
    return 0


async def cmd_charter_show(args: argparse.Namespace, caisse: Caisse) -> int:
    tz = ZoneInfo(caisse.config.timezone)
    async with caisse.storage.read() as q:
        out(await statutes.charter_in_force(q, args.period or statutes.month_of(now(), tz)))
    return 0


async def cmd_decisions_list(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.read() as q:
        for record in await decisions.decisions_log(q):
            out(record)
    return 0


async def cmd_decisions_apply_due(args: argparse.Namespace, caisse: Caisse) -> int:
    root = _root(caisse)
    async with caisse.storage.transaction() as q:
        out(await decisions.apply_due(q, caisse.config, root, actor=actor(), now=now()))
    return 0


# -- parser ------------------------------------------------------------------------------


def _rule_arguments(p: argparse.ArgumentParser) -> None:
    for option, field, kind in RULE_OPTIONS:
        p.add_argument(option, dest=field, type=kind, help=f"rule of this vote: {field}")
    p.add_argument("--panel", help="the drawn panel that decides (with --deciders panel)")


def add_commands(sub: Any) -> None:
    """Register the commands on ``ssa-admin``'s subparsers."""
    prop = sub.add_parser("proposal", help="proposals, votes, decisions").add_subparsers(
        dest="proposal_command", required=True
    )
    add = prop.add_parser("add", help="a proposal (scheduled with --opens/--closes)")
    add.add_argument("--kind", required=True, choices=statutes.KINDS)
    add.add_argument("--title", required=True)
    add.add_argument("--text")
    add.add_argument("--option", action="append", help="a consultation's option (repeat)")
    add.add_argument("--shop-name")
    add.add_argument("--address")
    add.add_argument("--hours")
    add.add_argument("--iban")
    add.add_argument("--bic")
    add.add_argument("--scope", help="the product ranges accepted (default: the whole shop)")
    add.add_argument("--merchant", help="the shop withdrawn or reviewed")
    add.add_argument("--effective", help="withdrawal: from this day YYYY-MM-DD")
    add.add_argument("--reason")
    add.add_argument("--topic", choices=proposals.TOPICS)
    add.add_argument("--period", help="rule change: the month it takes effect, YYYY-MM")
    add.add_argument("--value", help="rule change: the new value (JSON or text)")
    add.add_argument("--value-file", help="rule change: the new value from a JSON file")
    add.add_argument("--opens", help="first day of the vote, YYYY-MM-DD")
    add.add_argument("--closes", help="last day of the vote, YYYY-MM-DD")
    add.add_argument("--proposed-by", help="who proposes (a member id, a meeting...)")
    _rule_arguments(add)
    add.set_defaults(run=cmd_proposal_add)
    prop.add_parser("list", help="every proposal").set_defaults(run=cmd_proposal_list)
    for name, run, text in (
        ("show", cmd_proposal_show, "a proposal, its assessments, proxies and counts"),
        ("close", cmd_proposal_close, "count every channel, decide, apply, publish"),
        ("recount", cmd_proposal_recount, "the auditor's recount from the stored ballots"),
    ):
        cmd = prop.add_parser(name, help=text)
        cmd.add_argument("id")
        cmd.set_defaults(run=run)
    scr = prop.add_parser("screen", help="schedule a member's proposal, or set it aside")
    scr.add_argument("id")
    scr.add_argument("--set-aside", action="store_true")
    scr.add_argument("--note")
    scr.add_argument("--opens")
    scr.add_argument("--closes")
    scr.add_argument("--iban")
    scr.add_argument("--bic")
    _rule_arguments(scr)
    scr.set_defaults(run=cmd_proposal_screen)
    ass = prop.add_parser("assess", help="assess a shop against the charter (a JSON file)")
    ass.add_argument("id")
    ass.add_argument("--file", required=True)
    ass.set_defaults(run=cmd_proposal_assess)
    prx = prop.add_parser("proxy", help="record a proxy: HOLDER votes for GRANTOR")
    prx.add_argument("id")
    prx.add_argument("--grantor", required=True, help="member id of who cannot vote")
    prx.add_argument("--holder", required=True, help="member id of who votes for them")
    prx.set_defaults(run=cmd_proposal_proxy)
    asm = prop.add_parser("assembly", help="record an assembly's counted votes")
    asm.add_argument("id")
    asm.add_argument("--meeting", required=True)
    asm.add_argument("--count", action="append", help="CHOICE=N (repeat)")
    asm.set_defaults(run=cmd_proposal_assembly)
    rev = prop.add_parser("reviews", help="approvals due for review (--propose: vote on them)")
    rev.add_argument("--propose", action="store_true")
    rev.add_argument("--opens")
    rev.add_argument("--closes")
    rev.set_defaults(run=cmd_proposal_reviews)

    panel = sub.add_parser("panel", help="committees and panels drawn by lot").add_subparsers(
        dest="panel_command", required=True
    )
    ann = panel.add_parser("announce", help="announce a draw: the seed's SHA-256 first")
    ann.add_argument("--purpose", choices=panels.PURPOSES, default="panel")
    ann.add_argument("--size", type=int, required=True)
    ann.add_argument("--strata", action="append", help=f"among {', '.join(panels.STRATA)}")
    ann.add_argument("--commitment", help="hex SHA-256 of the seed")
    ann.add_argument("--seed-file", help="or: a file holding the seed (not revealed)")
    ann.set_defaults(run=cmd_panel_announce)
    drw = panel.add_parser("draw", help="draw by lot with the revealed seed")
    drw.add_argument("--seed", required=True)
    drw.add_argument("--panel", help="the announced panel (its commitment is checked)")
    drw.add_argument("--purpose", choices=panels.PURPOSES, default="panel")
    drw.add_argument("--size", type=int)
    drw.add_argument("--strata", action="append", help=f"among {', '.join(panels.STRATA)}")
    drw.set_defaults(run=cmd_panel_draw)
    dec = panel.add_parser("decline", help="a drawn member declines: the next one sits")
    dec.add_argument("panel")
    dec.add_argument("member")
    dec.set_defaults(run=cmd_panel_decline)
    shw = panel.add_parser("show", help="the published inputs and result of a draw")
    shw.add_argument("panel")
    shw.set_defaults(run=cmd_panel_show)

    stat = sub.add_parser("statutes", help="the decision rules").add_subparsers(
        dest="statutes_command", required=True
    )
    stat.add_parser("show", help="every kind's rule in force").set_defaults(run=cmd_statutes_show)
    sset = stat.add_parser("set", help="the founding statutes' rule of a kind")
    sset.add_argument("kind", choices=statutes.KINDS)
    for option, field, kind in RULE_OPTIONS:
        sset.add_argument(option, dest=field, type=kind)
    sset.set_defaults(run=cmd_statutes_set)
    ch = sub.add_parser("charter", help="the charter of criteria").add_subparsers(
        dest="charter_command", required=True
    )
    chs = ch.add_parser("show", help="the charter in force")
    chs.add_argument("--period", help="YYYY-MM (default: this month)")
    chs.set_defaults(run=cmd_charter_show)
    dl = sub.add_parser("decisions", help="the public decisions log").add_subparsers(
        dest="decisions_command", required=True
    )
    dl.add_parser("list", help="every decision").set_defaults(run=cmd_decisions_list)
    dl.add_parser("apply-due", help="apply withdrawals whose date has come").set_defaults(
        run=cmd_decisions_apply_due
    )


def add_member_commands(member: Any) -> None:
    """``member strata ID``: on the ``member`` subparsers of ``admin``."""
    st = member.add_parser("strata", help="a member's strata for draws by lot")
    st.add_argument("id")
    st.add_argument("--age-band")
    st.add_argument("--household")
    st.add_argument("--contribution-band")
    st.set_defaults(run=cmd_member_strata)

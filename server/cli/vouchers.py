"""``ssa-admin voucher print|void|list`` and ``member channel|letters``: paper for members
without a smartphone (docs/vouchers.md).

JSON on stdout (one object; one line per row for listings), messages on stderr.
Every change writes the audit log with the actor ``cli:<unix user>``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from keys import keystore
from server.caisse import channels, letters, sheets
from server.caisse.channels import ChannelError
from server.caisse.denominations import DenominationError
from server.caisse.keyring import KeyRing, load_root_key, open_keyring
from server.caisse.letters import LetterError
from server.caisse.pdf_common import PrintError
from server.caisse.setup import Caisse
from server.caisse.sheets import SheetError
from server.caisse.voucher_pdf import render_sheets
from server.cli.admin_households import actor
from server.cli.output import now, out, say
from server.periods import period_at

ERRORS = (ChannelError, DenominationError, LetterError, PrintError, SheetError)


def _keyring(caisse: Caisse) -> KeyRing:
    return open_keyring(
        caisse.config, keystore.passphrase_from_env_or_prompt(), keep_passphrase=True
    )


def _write(path: str, body: bytes) -> str:
    target = Path(path)
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(body)
    os.replace(tmp, target)
    return str(target.resolve())


def _period(caisse: Caisse, value: str | None, t: int) -> str:
    return value or period_at(t, ZoneInfo(caisse.config.timezone)).name


# -- voucher ----------------------------------------------------------------------------


async def cmd_voucher_print(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    run = await sheets.print_run(
        caisse.storage,
        caisse.config,
        _keyring(caisse),
        args.period,
        member_id=args.member,
        actor=actor(),
        now=t,
    )
    body = render_sheets(caisse.config, [s.printable() for s in run.sheets], printed_at=t)
    path = _write(args.out, body)
    for skipped in run.skipped:
        say(f"member {skipped['member_id']}: {skipped['reason']}")
    out(
        {
            "file": path,
            "vouchers": run.vouchers,
            "total_cents": run.total_cents,
            "sheets": [
                {
                    "sheet_id": s.sheet_id,
                    "member_id": s.member_id,
                    "vouchers": len(s.printable().vouchers),
                    "amount_cents": s.printable().amount_cents,
                    "printed": s.printed,
                }
                for s in run.sheets
            ],
            "skipped": run.skipped,
        }
    )
    say(f"{run.vouchers} vouchers on {len(run.sheets)} sheets written to {path}")
    return 0


async def cmd_voucher_void(args: argparse.Namespace, caisse: Caisse) -> int:
    problem = _check_void(args)
    if problem:
        raise SheetError(problem)
    t = now()
    who = actor()
    keyring = _keyring(caisse)
    async with caisse.storage.transaction() as q:
        sheet_id = await sheets.find_sheet(
            q,
            caisse.config,
            sheet_id=args.sheet,
            member_id=args.member,
            period_name=args.period,
            serial=args.serial,
        )
        if args.replace:
            voided, replacement = await sheets.replace_sheet(
                q, caisse.config, keyring, sheet_id, reason=args.reason, actor=who, now=t
            )
        else:
            voided = await sheets.void_sheet(
                q, caisse.config, keyring.root, sheet_id, reason=args.reason, actor=who, now=t
            )
            replacement = None
    result: dict[str, Any] = dict(voided)
    if args.replace:
        result["replacement"] = None
        if replacement is not None:
            printable = replacement.printable()
            path = _write(args.out, render_sheets(caisse.config, [printable], printed_at=t))
            result["replacement"] = {
                "sheet_id": replacement.sheet_id,
                "file": path,
                "vouchers": len(printable.vouchers),
                "total_cents": printable.amount_cents,
            }
    out(result)
    say(
        f"sheet {sheet_id} voided ({voided['voided']} vouchers); trust list seq "
        f"{voided['trust_list_seq']} lists them: tills refuse them once they have it"
    )
    return 0


async def cmd_voucher_list(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    async with caisse.storage.read() as q:
        if args.sheets:
            rows = await q.vouchers.sheets(period=args.period, member_id=args.member)
            names = {r["member_id"]: r["name"] for r in rows}
            for sheet in await sheets.load_sheets(q, rows, names, t):
                out(sheet.to_json())
            return 0
        for item in await sheets.tracking(q, now=t, period=args.period, member_id=args.member):
            out(item)
    return 0


# -- member -----------------------------------------------------------------------------


async def cmd_member_channel(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    root = None  # needed only when the phone holds a credential to revoke
    if os.environ.get("SSA_PASSPHRASE") or sys.stdin.isatty():
        root = load_root_key(caisse.config, keystore.passphrase_from_env_or_prompt())
    async with caisse.storage.transaction() as q:
        result = await channels.set_channel(
            q,
            caisse.config,
            root,
            args.id,
            args.channel,
            args.paper_cents,
            actor=actor(),
            now=t,
        )
    out(result)
    if result["credentials_revoked"]:
        say("the phone's credential was revoked: it fetches one with the smaller amount")
    return 0


async def cmd_member_letters(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    async with caisse.storage.transaction() as q:
        batch = await letters.activation_letters(
            q,
            caisse.config,
            member_ids=args.member or None,
            period=_period(caisse, args.period, t),
            actor=actor(),
            now=t,
        )
    path = _write(args.out, letters.render_letters(caisse.config, batch, printed_at=t))
    out({"file": path, "letters": len(batch), "members": [x.member_id for x in batch]})
    say(f"{len(batch)} letters written to {path}; earlier codes of these members no longer work")
    return 0


def add_voucher_commands(vou: Any) -> None:
    """Register ``print``, ``void`` and ``list`` on ``ssa-admin voucher``."""
    prn = vou.add_parser(
        "print", help="the month's voucher sheets as one A4 PDF (issued once, then reprinted)"
    )
    prn.add_argument("--period", required=True, help="YYYY-MM: this month or the next")
    prn.add_argument("--member", help="one member (default: every paper member)")
    prn.add_argument("--out", required=True, metavar="FILE.pdf")
    prn.set_defaults(run=cmd_voucher_print)

    void = vou.add_parser("void", help="void a lost sheet: its vouchers are refused by the tills")
    which = void.add_mutually_exclusive_group(required=True)
    which.add_argument("--sheet", type=int, help="the sheet's number")
    which.add_argument("--serial", help="the serial of any voucher of the sheet, e.g. 12-03")
    which.add_argument("--member", help="a member (with --period)")
    void.add_argument("--period", help="YYYY-MM, with --member")
    void.add_argument("--reason", default="lost", help="why (kept in the audit log)")
    void.add_argument("--replace", action="store_true", help="print the replacement too")
    void.add_argument("--out", metavar="FILE.pdf", help="where the replacement goes")
    void.set_defaults(run=cmd_voucher_void)

    lst = vou.add_parser(
        "list", help="vouchers issued/redeemed/expired/voided per member and month"
    )
    lst.add_argument("--period", help="YYYY-MM")
    lst.add_argument("--member")
    lst.add_argument("--sheets", action="store_true", help="each sheet and its vouchers instead")
    lst.set_defaults(run=cmd_voucher_list)


def _check_void(args: argparse.Namespace) -> str | None:
    if args.member and not args.period:
        return "--member needs --period"
    if args.replace and not args.out:
        return "--replace needs --out FILE.pdf"
    return None


def add_member_commands(member: Any) -> None:
    """Register ``channel`` and ``letters`` on ``ssa-admin member``."""
    ch = member.add_parser("channel", help="wallet, paper or both (with the paper part)")
    ch.add_argument("id")
    ch.add_argument("channel", choices=channels.CHANNELS)
    ch.add_argument("--paper-cents", type=int, help="with 'both': the monthly paper part")
    ch.set_defaults(run=cmd_member_channel)

    let = member.add_parser(
        "letters", help="activation letters as one PDF (new codes: the old ones stop working)"
    )
    let.add_argument("--out", required=True, metavar="FILE.pdf")
    let.add_argument(
        "--member", action="append", help="one member (repeat); default: all still to activate"
    )
    let.add_argument("--period", help="the month whose allowance the letter states (YYYY-MM)")
    let.set_defaults(run=cmd_member_letters)


__all__ = ["ERRORS", "add_member_commands", "add_voucher_commands"]

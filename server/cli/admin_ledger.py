"""``ssa-admin`` commands of reconciliation and settlement (registered by ``admin_cli``).

``reconcile``, ``payouts``, ``statements``, ``report``, ``findings`` and
``voucher``: JSON on stdout, human messages (and a progress bar, on a
terminal only) on stderr.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from nacl.signing import SigningKey

from keys import keystore
from server.caisse.keyring import KeyRingError, load_root_key, open_keyring
from server.caisse.setup import Caisse
from server.caisse.vouchers import VoucherError, issue_vouchers
from server.cli import audit
from server.cli import vouchers as cli_vouchers
from server.cli.output import money, now, out, plural, say
from server.ledger import findings as findings_mod
from server.ledger.detection import KINDS
from server.ledger.findings import FindingError
from server.ledger.reconcile import ReconcileError, parse_until, reconcile
from server.ledger.reports import ReportError, monthly_report, report_html
from server.ledger.sepa import SepaError, export_sepa
from server.ledger.statements import FORMATS, StatementError, merchants_of, statement

ERRORS = (
    sqlite3.OperationalError,  # another process holds the SQLite write lock too long
    FindingError,
    ReconcileError,
    ReportError,
    SepaError,
    StatementError,
    VoucherError,
    *cli_vouchers.ERRORS,
)


class ProgressBar:
    """A one-line bar on stderr, drawn only when stderr is a terminal (never in cron mail)."""

    def __init__(self, label: str, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.label = label
        self.enabled = self.stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        total = max(total, done, 1)
        filled = int(30 * done / total)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _root_if_available(caisse: Caisse, no_sign: bool) -> SigningKey | None:
    """The root key when a passphrase can be had (env or terminal); None otherwise."""
    if no_sign:
        return None
    if not os.environ.get("SSA_PASSPHRASE") and not sys.stdin.isatty():
        say("no SSA_PASSPHRASE: blocked members are revoked now, listed by the next trust list")
        return None
    return load_root_key(caisse.config, keystore.passphrase_from_env_or_prompt())


async def cmd_reconcile(args: argparse.Namespace, caisse: Caisse) -> int:
    tz = ZoneInfo(caisse.config.timezone)
    until = parse_until(args.until, tz) if args.until else None
    root = _root_if_available(caisse, args.no_sign)
    bar = ProgressBar("reconcile")
    try:
        summary = await reconcile(
            caisse.storage, caisse.config, now=now(), until=until, root=root, progress=bar
        )
    finally:
        bar.close()
    await audit.record_alone(
        caisse.storage,
        args,
        "reconcile.run",
        str(summary.settlement_id or ""),
        {
            "until": summary.until,
            "payments": summary.payments,
            "total_cents": summary.total_cents,
            "withheld": summary.withheld,
            "findings_new": summary.findings_new,
            "blocked": len(summary.blocked),
        },
    )
    out(summary.to_json())
    if summary.settlement_id is None:
        say("nothing to settle")
    else:
        up_to = datetime.fromtimestamp(summary.until, tz).strftime("%Y-%m-%d %H:%M")
        say(
            f"settlement {summary.settlement_id}: "
            f"{plural(summary.payments, 'payment', 'payments')} scanned before {up_to} settled, "
            f"{money(summary.total_cents)} to "
            f"{plural(len(summary.payouts), 'shop', 'shops')}; "
            f"{plural(summary.findings_new, 'new finding', 'new findings')}"
        )
    allowances = plural(summary.examined, "monthly allowance", "monthly allowances")
    say(
        f"examined: the payments of {allowances} checked against each other "
        "(today's included) to find a wallet used twice"
    )
    if until is None:
        say(
            "today's scans are not settled: a till may not have sent all of today's payments "
            "yet; the next run after midnight settles them (or give --until tomorrow's date)"
        )
    return 0


def write_private(path: Path, body: bytes) -> None:
    """Write a file readable by its owner only (0600), atomically: a SEPA file names
    every shop's account and amount; a statement, a shop's takings."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(body)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


async def cmd_payouts_export(args: argparse.Namespace, caisse: Caisse) -> int:
    try:
        execution = date.fromisoformat(args.execution_date) if args.execution_date else None
    except ValueError:
        raise SepaError("--execution-date must be YYYY-MM-DD") from None
    export = await export_sepa(
        caisse.storage,
        caisse.config,
        now=now(),
        settlement_id=args.settlement,
        execution_date=execution,
    )
    path = Path(args.sepa)
    write_private(path, export.body)
    await audit.record_alone(
        caisse.storage,
        args,
        "sepa.export",
        str(export.settlement_id),
        {"msg_id": export.msg_id, "control_sum_cents": export.control_sum_cents,
         "sha256": export.to_json()["sha256"], "file": str(path)},
    )  # fmt: skip
    out({**export.to_json(), "file": str(path)})
    say(
        f"{path}: {plural(export.transactions, 'transfer', 'transfers')}, "
        f"{money(export.control_sum_cents)}"
    )
    return 0


async def cmd_payouts_list(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.read() as q:
        settlements = (
            [await q.ledger.settlement(args.settlement)]
            if args.settlement
            else await q.ledger.settlements()
        )
        for s in settlements:
            if s is None:
                raise SepaError(f"no settlement {args.settlement}")
            out(
                {
                    **dict(s),
                    "payouts": [dict(p) for p in await q.ledger.payouts(s["settlement_id"])],
                }
            )
    return 0


async def cmd_statements(args: argparse.Namespace, caisse: Caisse) -> int:
    shops = (
        [args.merchant] if args.merchant else await merchants_of(caisse.storage, args.settlement)
    )
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    for shop in shops:
        body = await statement(
            caisse.storage,
            caisse.config,
            settlement_id=args.settlement,
            merchant_id=shop,
            fmt=args.format,
            now=now(),
        )
        path = folder / f"statement-{args.settlement}-{shop}.{args.format}"
        write_private(path, body)
        await audit.record_alone(
            caisse.storage, args, "statement.export", shop,
            {"settlement_id": args.settlement, "format": args.format, "file": str(path)},
        )  # fmt: skip
        out({"settlement_id": args.settlement, "merchant_id": shop, "file": str(path)})
    return 0


async def cmd_report(args: argparse.Namespace, caisse: Caisse) -> int:
    report = await monthly_report(caisse.storage, caisse.config, args.month)
    if args.html:
        Path(args.html).write_text(report_html(report), encoding="utf-8")
        say(f"printable report written to {args.html}")
    out(report)
    return 0


async def cmd_findings_list(args: argparse.Namespace, caisse: Caisse) -> int:
    after = ""
    while page := await findings_mod.list_findings(
        caisse.storage, kind=args.kind, pending_only=args.pending, after=after, limit=500
    ):
        for item in page:
            out(item)
        after = page[-1].finding_id
    return 0


async def cmd_findings_export(args: argparse.Namespace, caisse: Caisse) -> int:
    stream = findings_mod.export_findings(caisse.storage, kind=args.kind, pending_only=args.pending)
    if args.id:
        out(await findings_mod.export_finding(caisse.storage, args.id))
        return 0
    count = 0
    async for item in stream:
        out(item)
        count += 1
    say(f"{count} findings exported (one JSON object per line, with the signed tokens)")
    return 0


async def cmd_findings_decide(args: argparse.Namespace, caisse: Caisse) -> int:
    decided = await findings_mod.decide(caisse.storage, args.id, args.decision, args.note, now())
    await audit.record_alone(
        caisse.storage, args, "finding.decide", args.id, {"decision": args.decision}
    )
    out(decided)
    return 0


async def cmd_voucher_issue(args: argparse.Namespace, caisse: Caisse) -> int:
    keyring = open_keyring(
        caisse.config, keystore.passphrase_from_env_or_prompt(), keep_passphrase=True
    )
    issued = await issue_vouchers(
        caisse.storage,
        caisse.config,
        keyring,
        amount_cents=args.amount_cents,
        count=args.count,
        member_id=args.member,
        valid_days=args.days,
        now=now(),
    )
    await audit.record_alone(
        caisse.storage,
        args,
        "voucher.issue",
        args.member,
        {"count": len(issued), "amount_cents": args.amount_cents,
         "voucher_ids": [v.voucher_id for v in issued][:100]},
    )  # fmt: skip
    for item in issued:
        out(item)
    say(
        f"{args.count} vouchers issued (QR texts); a member's monthly sheet, ready to print, "
        "is 'voucher print --period YYYY-MM --member ID --out FILE.pdf'"
    )
    return 0


def add_commands(sub: Any) -> None:
    """Register the commands on ``ssa-admin``'s subparsers."""
    rec = sub.add_parser("reconcile", help="find cross-shop fraud; settle and pay the shops")
    rec.add_argument("--until", help="settle payments scanned up to this day (YYYY-MM-DD)")
    rec.add_argument("--no-sign", action="store_true", help="do not sign a trust list now")
    rec.add_argument(
        "--nightly", action="store_true", help="the cron job: the audit log names it 'nightly'"
    )
    rec.set_defaults(run=cmd_reconcile)

    pay = sub.add_parser("payouts", help="settlements and SEPA files").add_subparsers(
        dest="payouts_command", required=True
    )
    exp = pay.add_parser("export", help="write the SEPA credit-transfer file (pain.001)")
    exp.add_argument("--sepa", required=True, metavar="FILE")
    exp.add_argument("--settlement", type=int, help="settlement id (default: the latest)")
    exp.add_argument("--execution-date", help="requested execution date YYYY-MM-DD")
    exp.set_defaults(run=cmd_payouts_export)
    lst = pay.add_parser("list", help="settlements and their payout lines")
    lst.add_argument("--settlement", type=int)
    lst.set_defaults(run=cmd_payouts_list)

    st = sub.add_parser("statements", help="write shop statements of a settlement")
    st.add_argument("--settlement", type=int, required=True)
    st.add_argument("--merchant", help="one shop (default: every shop of the settlement)")
    st.add_argument("--format", choices=FORMATS, default="csv")
    st.add_argument("--out", default=".", help="folder for the files")
    st.set_defaults(run=cmd_statements)

    rep = sub.add_parser("report", help="monthly caisse report")
    rep.add_argument("--month", required=True, help="YYYY-MM")
    rep.add_argument("--html", metavar="FILE", help="also write a printable page")
    rep.set_defaults(run=cmd_report)

    fnd = sub.add_parser("findings", help="fraud findings").add_subparsers(
        dest="findings_command", required=True
    )
    for name, run, text in (
        ("list", cmd_findings_list, "list findings"),
        ("export", cmd_findings_export, "export findings with their signed tokens"),
    ):
        cmd = fnd.add_parser(name, help=text)
        cmd.add_argument("--kind", choices=KINDS)
        cmd.add_argument("--pending", action="store_true", help="only undecided ones")
        if name == "export":
            cmd.add_argument("--id", help="one finding")
        cmd.set_defaults(run=run)
    dec = fnd.add_parser("decide", help="record the caisse's decision")
    dec.add_argument("id")
    dec.add_argument("--decision", required=True, choices=findings_mod.DECISIONS)
    dec.add_argument("--note")
    dec.set_defaults(run=cmd_findings_decide)

    vou = sub.add_parser("voucher", help="paper vouchers").add_subparsers(
        dest="voucher_command", required=True
    )
    iss = vou.add_parser("issue", help="sign paper vouchers; prints their QR texts")
    iss.add_argument("--amount-cents", type=int, required=True)
    iss.add_argument("--count", type=int, default=1)
    iss.add_argument("--member", help="member id the vouchers are for (optional)")
    iss.add_argument("--days", type=int, default=31, help="validity in days")
    iss.set_defaults(run=cmd_voucher_issue)
    cli_vouchers.add_voucher_commands(vou)


__all__ = ["ERRORS", "KeyRingError", "ProgressBar", "add_commands"]

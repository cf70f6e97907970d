"""``ssa-admin`` commands of households and contributions (registered by ``admin``).

``household``, ``contribution``, ``mandate``, ``subsidy`` and ``books``: JSON on
stdout (one line per row for listings), messages on stderr. Every change writes
the audit log with the actor ``cli:<unix user>``.
"""

from __future__ import annotations

import argparse
import getpass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from server import config as config_mod
from server.caisse import dues, households
from server.caisse.allowance import AllowanceError
from server.caisse.households import HouseholdError
from server.caisse.setup import Caisse
from server.cli.output import now, out, say
from server.ledger import bank_import, books, direct_debit
from server.ledger.bank_files import BankFileError
from server.ledger.bank_import import BankImportError
from server.ledger.books import BooksError
from server.ledger.direct_debit import DirectDebitError

ERRORS = (
    AllowanceError,
    BankFileError,
    BankImportError,
    BooksError,
    DirectDebitError,
    dues.DuesError,
    HouseholdError,
)


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _period(caisse: Caisse, ts: int | None = None) -> str:
    return datetime.fromtimestamp(
        now() if ts is None else ts, ZoneInfo(caisse.config.timezone)
    ).strftime("%Y-%m")


def _today(caisse: Caisse) -> date:
    return datetime.fromtimestamp(now(), ZoneInfo(caisse.config.timezone)).date()


# -- households -------------------------------------------------------------------------


def _household_out(h: households.Household, *, members: bool = False) -> dict:
    return h.to_json(with_members=members)


async def cmd_household_add(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    async with caisse.storage.transaction() as q:
        h = await households.add_household(
            q,
            caisse.config,
            label=args.name,
            adults=args.adults,
            children=args.children,
            birth_years=args.birth_years,
            period=_period(caisse, t),
            now=t,
        )
        await q.console.append_audit(
            actor=actor(),
            action="household.add",
            target=str(h.household_id),
            detail={"adults": h.adults, "children": h.children},
            now=t,
        )
    out(_household_out(h))
    say(f"household {h.household_id} added; its transfer reference is {h.reference}")
    return 0


async def cmd_household_show(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.read() as q:
        h = await households.get_household(q, caisse.config, args.id, _period(caisse))
    out(_household_out(h, members=True))
    return 0


async def cmd_household_list(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.read() as q:
        for h in await households.list_households(q, caisse.config, _period(caisse)):
            out(_household_out(h))
    return 0


def _weights(pairs: list[str] | None) -> dict[str, int] | None:
    if not pairs:
        return None
    weights = {}
    for pair in pairs:
        member, sep, weight = pair.partition("=")
        if not sep or not weight.isdigit():
            raise HouseholdError(f"--share is MEMBER_ID=WEIGHT, not {pair!r:.40}")
        weights[member.strip()] = int(weight)
    return weights


async def cmd_household_edit(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    changes = {
        k: getattr(args, a)
        for k, a in (
            ("label", "name"),
            ("adults", "adults"),
            ("children", "children"),
            ("birth_years", "birth_years"),
        )
        if getattr(args, a) is not None
    }
    async with caisse.storage.transaction() as q:
        h = await households.edit_household(
            q,
            caisse.config,
            args.id,
            weights=_weights(args.share),
            period=_period(caisse, t),
            now=t,
            **changes,
        )
        await q.console.append_audit(
            actor=actor(),
            action="household.edit",
            target=str(args.id),
            detail={
                **{k: v for k, v in changes.items() if k != "label"},
                "shares": _weights(args.share) or {},
            },
            now=t,
        )
    out(_household_out(h, members=True))
    say("changes to what is already shared out this month apply from next month")
    return 0


async def cmd_allowance_rule(args: argparse.Namespace, caisse: Caisse) -> int:
    document = {
        "from": args.from_period,
        "first_adult_cents": args.first_adult_cents,
        "extra_adult_cents": args.extra_adult_cents,
        "child_cents": args.child_cents,
        "max_household_cents": args.max_household_cents,
    }
    async with caisse.storage.read() as q:
        updated = await households.add_rule(
            q, caisse.config, document, current_period=_period(caisse)
        )
    config_mod.save(updated)
    async with caisse.storage.transaction() as q:
        await q.console.append_audit(
            actor=actor(),
            action="allowance.rule",
            target=args.from_period,
            detail=document,
            now=now(),
        )
    out({"allowance_rules": updated.allowance_rules})
    say("saved in config.json; restart the server to use it")
    return 0


# -- contributions ------------------------------------------------------------------------


async def cmd_contribution_set(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    async with caisse.storage.transaction() as q:
        result = await dues.set_contribution(
            q,
            caisse.config,
            args.household,
            monthly_cents=args.monthly_cents,
            declared_income_cents=args.declared_income_cents,
            fixed_costs_cents=args.fixed_costs_cents or 0,
            cpas=args.cpas,
            from_period=args.from_period,
            current_period=_period(caisse, t),
            actor=actor(),
            now=t,
        )
    out(
        {
            k: v
            for k, v in result.to_json().items()
            if k in ("household_id", "monthly_cents", "reference", "from_period", "band")
        }
    )
    return 0


async def cmd_contribution_suggest(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.read() as q:
        answer = await dues.suggest(
            q,
            caisse.config,
            args.household,
            income_cents=args.declared_income_cents,
            fixed_costs_cents=args.fixed_costs_cents or 0,
            cpas=args.cpas,
            period=_period(caisse),
        )
    out(
        {
            "household_id": args.household,
            "floor_cents": answer.floor_cents,
            "suggested_cents": answer.suggested_cents,
            "band": answer.band,
            "binding": answer.binding,
        }
    )
    say("nothing stored: the household's choice is recorded by 'contribution set'")
    return 0


async def cmd_contribution_status(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.read() as q:
        lines = await dues.status(
            q, current_period=_period(caisse), household_id=args.household, period=args.period
        )
    for line in lines:
        if not args.unpaid or line.balance_cents < 0:
            out(line.to_json())
    unpaid = sum(1 for line in lines if line.balance_cents < 0)
    rule = (
        "the allowance is not suspended for unpaid contributions (reminders only)"
        if caisse.config.contribution_unpaid == "remind"
        else "unpaid contributions suspend the allowance (config contribution_unpaid)"
    )
    say(f"{len(lines)} lines, {unpaid} with a balance due; {rule}")
    return 0


async def cmd_contribution_income(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    async with caisse.storage.transaction() as q:
        rows = await dues.declared_income(q, args.household, actor=actor(), role_ok=True, now=t)
    for row in rows:
        out({"household_id": args.household, **row})
    say("this reading is written in the audit log")
    return 0


async def cmd_contribution_import(args: argparse.Namespace, caisse: Caisse) -> int:
    data = Path(args.file).read_bytes()
    result = await bank_import.import_statement(
        caisse.storage, caisse.config, data, actor=actor(), now=now()
    )
    out(result.to_json())
    if result.unmatched:
        say(f"{result.unmatched} credits wait for review: 'contribution review' or the console")
    return 0


async def cmd_contribution_review(args: argparse.Namespace, caisse: Caisse) -> int:
    for row in await bank_import.review_queue(caisse.storage):
        out(
            {
                k: row[k]
                for k in (
                    "entry_key",
                    "booked_on",
                    "amount_cents",
                    "counterparty_iban",
                    "counterparty_name",
                    "communication",
                )
            }
        )
    return 0


async def cmd_contribution_assign(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    async with caisse.storage.transaction() as q:
        if args.household is not None:
            result = await bank_import.assign_entry(
                q, args.entry, args.household, actor=actor(), now=t
            )
        else:
            result = await bank_import.set_aside(
                q, args.entry, note=args.note or "", actor=actor(), now=t
            )
    out(result.to_json())
    return 0


async def cmd_contribution_cash(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    async with caisse.storage.transaction() as q:
        payment = await dues.record_payment(
            q,
            household_id=args.household,
            amount_cents=args.cents,
            channel="cash",
            received_on=args.date or _today(caisse).isoformat(),
            source=None,
            note=args.note,
            actor=actor(),
            now=t,
        )
    out(payment.to_json())
    return 0


async def cmd_contribution_debit(args: argparse.Namespace, caisse: Caisse) -> int:
    result = await direct_debit.debit(
        caisse.storage,
        caisse.config,
        collection_date=args.collection_date,
        actor=actor(),
        now=now(),
    )
    path = Path(args.out)
    path.write_bytes(result.body)
    out(result.to_json(str(path)))
    for d in result.deferred:
        say(f"household {d['household_id']} deferred: {d['reason']}")
    return 0


async def cmd_mandate_add(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    async with caisse.storage.transaction() as q:
        if args.name is None:
            members = await q.households.members_of(args.household)
            name = members[0]["name"] if members else None
        else:
            name = args.name
        mandate = await direct_debit.add_mandate(
            q,
            caisse.config,
            household_id=args.household,
            iban=args.iban,
            bic=args.bic,
            debtor_name=name or "",
            signed_on=args.signed_on,
            today=_today(caisse),
            actor=actor(),
            now=t,
        )
    out(mandate.to_json())
    return 0


async def cmd_subsidy_add(args: argparse.Namespace, caisse: Caisse) -> int:
    t = now()
    async with caisse.storage.transaction() as q:
        result = await books.add_subsidy(
            q,
            source=args.source,
            amount_cents=args.cents,
            received_on=args.date or _today(caisse).isoformat(),
            note=args.note,
            actor=actor(),
            now=t,
        )
    out(result.to_json())
    return 0


async def cmd_books(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.read() as q:
        month = await books.month_books(q, caisse.config, args.period)
        if args.csv or args.beancount:
            entries = await books.entries(q, caisse.config, args.period)
    result = month.to_json()
    if args.csv:
        Path(args.csv).write_text(books.to_csv(entries))
        result["csv"] = args.csv
    if args.beancount:
        Path(args.beancount).write_text(books.to_beancount(entries, caisse.config))
        result["beancount"] = args.beancount
    out(result)
    return 0


def _cents_arg(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError("a whole number of cents")
    return int(text)


def add_commands(sub: argparse._SubParsersAction) -> None:
    hh = sub.add_parser("household", help="households").add_subparsers(
        dest="household_command", required=True
    )
    add = hh.add_parser("add", help="a household: adults, children (allowance from the rules)")
    add.add_argument("--name", help="a label for the caisse's own use")
    add.add_argument("--adults", type=int, required=True)
    add.add_argument("--children", type=int, default=0)
    add.add_argument("--birth-years", help="optional, e.g. 1984,2016")
    add.set_defaults(run=cmd_household_add)
    show = hh.add_parser("show", help="one household with its members and shares")
    show.add_argument("id", type=int)
    show.set_defaults(run=cmd_household_show)
    hh.add_parser("list", help="every household").set_defaults(run=cmd_household_list)
    edit = hh.add_parser("edit", help="change a household (from next month once shared out)")
    edit.add_argument("id", type=int)
    edit.add_argument("--name")
    edit.add_argument("--adults", type=int)
    edit.add_argument("--children", type=int)
    edit.add_argument("--birth-years")
    edit.add_argument("--share", action="append", help="MEMBER_ID=WEIGHT (default 1 each)")
    edit.set_defaults(run=cmd_household_edit)

    al = sub.add_parser("allowance", help="allowance rules").add_subparsers(
        dest="allowance_command", required=True
    )
    rule = al.add_parser("rule", help="a new rule version, from a month not yet under way")
    rule.add_argument("--from", dest="from_period", required=True, help="YYYY-MM")
    rule.add_argument("--first-adult-cents", type=_cents_arg, required=True)
    rule.add_argument("--extra-adult-cents", type=_cents_arg, required=True)
    rule.add_argument("--child-cents", type=_cents_arg, required=True)
    rule.add_argument("--max-household-cents", type=_cents_arg)
    rule.set_defaults(run=cmd_allowance_rule)

    co = sub.add_parser("contribution", help="contributions").add_subparsers(
        dest="contribution_command", required=True
    )
    cset = co.add_parser("set", help="what a household owes from a month on")
    cset.add_argument("--household", type=int, required=True)
    how = cset.add_mutually_exclusive_group(required=True)
    how.add_argument("--monthly-cents", type=_cents_arg)
    how.add_argument("--declared-income-cents", type=_cents_arg)
    how.add_argument("--cpas", action="store_true", help="a CPAS attestation: reduced amount")
    cset.add_argument("--fixed-costs-cents", type=_cents_arg)
    cset.add_argument(
        "--from",
        dest="from_period",
        help="YYYY-MM (default: this month for a first choice, else next month)",
    )
    cset.set_defaults(run=cmd_contribution_set)
    sug = co.add_parser("suggest", help="the self-assessment's suggestion (nothing stored)")
    sug.add_argument("--household", type=int, required=True)
    sug.add_argument("--declared-income-cents", type=_cents_arg)
    sug.add_argument("--fixed-costs-cents", type=_cents_arg)
    sug.add_argument("--cpas", action="store_true")
    sug.set_defaults(run=cmd_contribution_suggest)
    st = co.add_parser("status", help="due, paid and balance per household and month")
    st.add_argument("--household", type=int)
    st.add_argument("--period", help="YYYY-MM")
    st.add_argument("--unpaid", action="store_true", help="only the lines with a balance due")
    st.set_defaults(run=cmd_contribution_status)
    inc = co.add_parser("income", help="declared incomes kept (treasurer; audited)")
    inc.add_argument("--household", type=int, required=True)
    inc.set_defaults(run=cmd_contribution_income)
    imp = co.add_parser("import", help="a bank statement: CODA or camt.053")
    imp.add_argument("file")
    imp.set_defaults(run=cmd_contribution_import)
    co.add_parser("review", help="credits waiting for review").set_defaults(
        run=cmd_contribution_review
    )
    asg = co.add_parser("assign", help="say whose an unmatched credit is (or set it aside)")
    asg.add_argument("--entry", required=True)
    target = asg.add_mutually_exclusive_group(required=True)
    target.add_argument("--household", type=int)
    target.add_argument("--set-aside", action="store_true")
    asg.add_argument("--note")
    asg.set_defaults(run=cmd_contribution_assign)
    cash = co.add_parser("cash", help="cash received at a permanence")
    cash.add_argument("--household", type=int, required=True)
    cash.add_argument("--cents", type=_cents_arg, required=True)
    cash.add_argument("--date", help="YYYY-MM-DD (default today)")
    cash.add_argument("--note")
    cash.set_defaults(run=cmd_contribution_cash)
    deb = co.add_parser("debit", help="a pain.008 of the month's direct debits")
    deb.add_argument("--collection-date", required=True)
    deb.add_argument("--out", required=True)
    deb.set_defaults(run=cmd_contribution_debit)

    md = sub.add_parser("mandate", help="SEPA direct debit mandates").add_subparsers(
        dest="mandate_command", required=True
    )
    madd = md.add_parser("add", help="a signed mandate (replaces the household's earlier one)")
    madd.add_argument("--household", type=int, required=True)
    madd.add_argument("--iban", required=True)
    madd.add_argument("--bic")
    madd.add_argument("--signed-on", required=True, help="YYYY-MM-DD")
    madd.add_argument("--name", help="the account holder (default: the household's first member)")
    madd.set_defaults(run=cmd_mandate_add)

    sb = sub.add_parser("subsidy", help="subsidies received").add_subparsers(
        dest="subsidy_command", required=True
    )
    sadd = sb.add_parser("add", help="money from a CPAS, a commune, the Région, a donor")
    sadd.add_argument("--source", required=True, choices=books.SOURCES)
    sadd.add_argument("--cents", type=_cents_arg, required=True)
    sadd.add_argument("--date", help="YYYY-MM-DD (default today)")
    sadd.add_argument("--note")
    sadd.set_defaults(run=cmd_subsidy_add)

    bk = sub.add_parser("books", help="money in and out of a month")
    bk.add_argument("--period", required=True, help="YYYY-MM")
    bk.add_argument("--csv", help="also write the month's entries as CSV")
    bk.add_argument("--beancount", help="also write them as a beancount ledger")
    bk.set_defaults(run=cmd_books)


__all__ = ["ERRORS", "add_commands"]

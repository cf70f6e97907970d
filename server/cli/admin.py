"""``ssa-admin``: set up and run a caisse from the command line.

Results are JSON on stdout (one object, or one line per row for imports) so
scripts can use them; human messages go to stderr. Exit status: 0 done,
1 failed (or some import rows refused), 2 usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import asdict
from pathlib import Path

from nacl.signing import SigningKey

from keys import keystore
from keys.cli_args import glue_dash_values
from server import banking
from server import config as config_mod
from server.caisse import member_csv, member_list, members, merchants
from server.caisse.decisions import describe_shop
from server.caisse.keyring import KeyRingError, load_root_key
from server.caisse.setup import (
    AdminError,
    Caisse,
    init_caisse,
    open_caisse,
    record_config,
    resign_trust_list,
    rotate_issuer_key,
    status,
)
from server.cli import admin_democracy as admin_cli_democracy
from server.cli import admin_households as admin_cli_households
from server.cli import admin_ledger as admin_cli_ledger
from server.cli import audit
from server.cli import simulate as cli_simulate
from server.cli import users as cli_users
from server.cli import vouchers as cli_vouchers
from server.cli.output import as_json, now, out, plural, say
from server.db.seam import DatabaseError
from server.storage.core import MERCHANT_ACTIVE, MERCHANT_SUSPENDED

ERRORS = (
    AdminError,
    config_mod.ConfigError,
    DatabaseError,
    KeyRingError,
    keystore.KeyFileError,
    members.MemberError,
    merchants.MerchantError,
    OSError,
    *admin_cli_democracy.ERRORS,
    *admin_cli_ledger.ERRORS,
    *admin_cli_households.ERRORS,
    *cli_users.ERRORS,
    *cli_simulate.ERRORS,
)

# Values that may begin with "-": a base64url key, a free-text note or name.
DASH_VALUE_OPTIONS = (
    "--key", "--note", "--name", "--title", "--text", "--seed", "--reason",
    "--address", "--hours", "--scope",
)  # fmt: skip


def _root(caisse: Caisse) -> SigningKey:
    return load_root_key(caisse.config, keystore.passphrase_from_env_or_prompt())


# -- commands -------------------------------------------------------------------------


async def cmd_init(args: argparse.Namespace) -> int:
    data_dir = Path(args.data).resolve()
    cfg = config_mod.Config(
        data_dir=data_dir,
        caisse=args.caisse,
        allowance_cents=args.allowance_cents,
        base_url=args.base_url,
        kdf_profile=args.kdf,
        database_url=args.database or os.environ.get(config_mod.DATABASE_ENV) or None,
    )
    passphrase = keystore.passphrase_from_env_or_prompt(
        "New passphrase for the caisse keys: ", confirm=True
    )
    created = await init_caisse(cfg, passphrase, now())
    out(created)
    async with open_caisse(data_dir, cfg.database_url) as caisse:
        await audit.record_alone(caisse.storage, args, "caisse.init", cfg.caisse)
        await record_config(caisse.storage, caisse.config, audit.actor_of(args), now())
    say(
        f"caisse {cfg.caisse} created in {data_dir}; "
        f"keep the passphrase safe and back up {data_dir}"
    )
    return 0


async def cmd_keys_rotate(args: argparse.Namespace, caisse: Caisse) -> int:
    passphrase = keystore.passphrase_from_env_or_prompt()
    root = load_root_key(caisse.config, passphrase)
    rotated = await rotate_issuer_key(caisse, passphrase, root, now())
    await audit.record_alone(
        caisse.storage, args, "keys.rotate", rotated.issuer_kid,
        {"trust_list_seq": rotated.trust_list_seq},
    )  # fmt: skip
    out(rotated)
    say("new issuer key active; running servers pick it up on their next credential")
    return 0


async def cmd_trust_list_sign(args: argparse.Namespace, caisse: Caisse) -> int:
    signed = await resign_trust_list(caisse, _root(caisse), now())
    await audit.record_alone(caisse.storage, args, "trust_list.sign", str(signed.trust_list_seq))
    out(signed)
    return 0


async def cmd_status(args: argparse.Namespace, caisse: Caisse) -> int:
    out(await status(caisse))
    return 0


async def cmd_member_add(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.transaction() as q:
        result = await members.add_member(
            q, caisse.config, name=args.name, email=args.email, now=now(),
            household_id=args.household, language=args.language,
        )  # fmt: skip
        await audit.record(q, args, "member.add", result.member_id)
    out(result)
    say(f"member {result.member_id} added; send them the activation link")
    return 0


async def cmd_member_import(args: argparse.Namespace, caisse: Caisse) -> int:
    text, encoding = member_csv.decode(Path(args.file).read_bytes())
    read = member_csv.read(text)
    if read.error:
        out({"line": 1, "error": member_csv.MESSAGES[read.error]})
        say(f"{args.file}: {member_csv.MESSAGES[read.error]}")
        return 1
    delimiter = {"\t": "tab"}.get(read.delimiter, read.delimiter)
    say(f"{args.file}: {encoding}, fields separated by '{delimiter}'")
    if read.ignored:
        say(f"columns not imported (the caisse keeps only name, e-mail and language): "
            f"{', '.join(read.ignored)}")  # fmt: skip
    good = bad = 0
    for item in read.lines:
        error = member_csv.MESSAGES.get(item.error or "")
        if item.error == member_csv.UNKNOWN_LANGUAGE:
            error = f"{error}: {item.language_cell!r}"
        if error is None:
            try:
                async with caisse.storage.transaction() as q:
                    result = await members.add_member(
                        q,
                        caisse.config,
                        name=item.name,
                        email=item.email or None,
                        now=now(),
                        language=item.language or args.language,
                    )
                    await audit.record(q, args, "member.add", result.member_id, {"line": item.line})
                out({"line": item.line, **as_json(result)})
                good += 1
                continue
            except members.MemberError as exc:
                error = str(exc)
        out({"line": item.line, "error": error})
        say(f"line {item.line}: {error}")
        bad += 1
    await audit.record_alone(
        caisse.storage, args, "member.import", None,
        {"file": Path(args.file).name, "created": good, "refused": bad},
    )  # fmt: skip
    say(f"{plural(good, 'member imported', 'members imported')}, "
        f"{plural(bad, 'row refused', 'rows refused')}")  # fmt: skip
    return 1 if bad else 0


async def cmd_member_edit(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.transaction() as q:
        result = await members.edit_member(
            q, args.id, name=args.name, email=args.email, language=args.language
        )
    out(result)
    say(_changed(result.changes))
    return 0


def _changed(changes: dict) -> str:
    if not changes:
        return "nothing changed"
    return "changed: " + "; ".join(f"{k} {v[0]!r} -> {v[1]!r}" for k, v in changes.items())


async def cmd_member_code(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.transaction() as q:
        code = await members.new_activation_code(q, caisse.config, args.id, now())
        await audit.record(q, args, "member.code", args.id)
    out(code)
    say("earlier unused codes of this member no longer work")
    return 0


async def cmd_member_reenrol(args: argparse.Namespace, caisse: Caisse) -> int:
    root = _root(caisse)
    async with caisse.storage.transaction() as q:
        result = await members.reenrol(q, caisse.config, root, args.id, now())
        await audit.record(
            q, args, "member.reenrol", args.id, {"trust_list_seq": result.trust_list_seq}
        )
    out(result)
    say("the member's old phone is blocked; give them the new activation code")
    return 0


async def cmd_member_revoke(args: argparse.Namespace, caisse: Caisse) -> int:
    root = _root(caisse)
    async with caisse.storage.transaction() as q:
        result = await members.revoke_member(q, caisse.config, root, args.id, now())
        await audit.record(
            q, args, "member.revoke", args.id, {"trust_list_seq": result.trust_list_seq}
        )
    out(result)
    say(f"member {args.id} revoked; trust list seq {result.trust_list_seq} lists them")
    return 0


async def cmd_member_list(args: argparse.Namespace, caisse: Caisse) -> int:
    filters = member_list.Filters(
        status=args.status, language=args.language, activation=args.activation, search=args.q
    )
    async with caisse.storage.read() as q:
        found = await member_list.list_members(q, filters, now())
    if args.csv:
        sys.stdout.buffer.write(member_list.to_csv(found, caisse.config.timezone))
        sys.stdout.flush()
    else:
        for member in found:
            out(member)
    say(plural(len(found), "member", "members"))
    return 0


async def cmd_merchant_add(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.transaction() as q:
        added = await merchants.add_merchant(
            q,
            caisse.config,
            name=args.name,
            iban=args.iban,
            bic=args.bic,
            now=now(),
            language=args.language,
            **{d: getattr(args, d) for d in merchants.DETAILS},
        )
        result = asdict(added)
        if args.address or args.hours or args.scope:
            result.update(
                await describe_shop(
                    q,
                    added.merchant_id,
                    address=args.address or "",
                    hours=args.hours or "",
                    scope=args.scope,
                    actor=admin_cli_democracy.actor(),
                    now=now(),
                )
            )
        shop = await q.merchant(added.merchant_id)  # as stored: the account the caisse pays
        assert shop is not None
        detail = {"name": shop["name"], "iban": shop["iban"], "bic": shop["bic"]}
        await audit.record(q, args, "shop.add", added.merchant_id, detail)
    out(result)
    say(f"merchant {added.merchant_id} added; enter the code in the shop's scanner")
    _warn_if_no_bic(args.iban, args.bic, added.merchant_id)
    return 0


def _warn_if_no_bic(iban: str, bic: str | None, merchant_id: str) -> None:
    try:
        account = banking.account(iban, bic)
    except banking.BankError:
        return
    if account.bic_missing:
        say(
            f"warning: the bank registry does not know the bank of {account.grouped}; "
            f"ask the shop for its BIC (on its bank statement) and give it with "
            f"'merchant edit {merchant_id} --bic BIC'"
        )


async def cmd_merchant_edit(args: argparse.Namespace, caisse: Caisse) -> int:
    fields = {f: getattr(args, f) for f in ("name", "iban", "bic", "language", *merchants.DETAILS)}
    async with caisse.storage.transaction() as q:
        result = await merchants.edit_merchant(q, args.id, **fields)
        shop = await q.merchant(args.id)
    out(result)
    say(_changed(result.changes))
    if shop is not None and "iban" in result.changes:
        _warn_if_no_bic(shop["iban"], shop["bic"], args.id)
    return 0


async def cmd_merchant_code(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.transaction() as q:
        code = await merchants.new_enrollment_code(q, caisse.config, args.id, now())
        await audit.record(q, args, "shop.code", args.id)
    out(code)
    return 0


async def cmd_merchant_status(args: argparse.Namespace, caisse: Caisse) -> int:
    wanted = MERCHANT_SUSPENDED if args.merchant_command == "suspend" else MERCHANT_ACTIVE
    async with caisse.storage.transaction() as q:
        changed = await merchants.set_status(q, args.id, wanted, now())
        await audit.record(q, args, f"shop.{args.merchant_command}", args.id)
    out(changed)
    return 0


async def cmd_merchant_devices(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.read() as q:
        for device in await merchants.devices(q, args.id):
            out(device)
    return 0


async def cmd_merchant_revoke_device(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.transaction() as q:
        result = await merchants.revoke_device(q, args.merchant, args.key, now())
        if result.newly_revoked:
            await audit.record(q, args, "shop.revoke_till", args.merchant, {"key": args.key})
    out(result)
    say(
        f"scanner key revoked for {args.merchant}; enrol the replacement till with "
        f"'merchant code {args.merchant}'"
    )
    return 0


async def cmd_merchant_list(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.read() as q:
        for row in await q.merchants():
            out(dict(row))
    return 0


async def cmd_demo(args: argparse.Namespace) -> int:
    from server.cli.demo import ensure_demo

    out(await ensure_demo(Path(args.data), args.database, now()))
    return 0


# -- parser -----------------------------------------------------------------------------


def _shop_details(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--language", choices=members.LANGUAGES, help="of the shop's statements")
    cmd.add_argument("--address")
    cmd.add_argument("--hours", help="opening hours, e.g. 'Tue-Sat 9:00-18:00'")
    cmd.add_argument("--scope", help="what members can buy there")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ssa-admin", description="Administer a caisse.")
    p.add_argument(
        "--data", default=os.environ.get("SSA_DATA"), help="caisse data directory [SSA_DATA]"
    )
    p.add_argument("--database", default=None, help="postgresql://... [SSA_DATABASE_URL]")
    sub = p.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="create a caisse: config, keys, database")
    init.add_argument("--caisse", required=True, help="caisse id, e.g. be-bxl-class")
    init.add_argument("--allowance-cents", type=int, default=15_000)
    init.add_argument(
        "--base-url",
        default="http://127.0.0.1:8000",
        help="public URL of the server (activation links point there)",
    )
    init.add_argument(
        "--kdf",
        choices=["sensitive", "interactive"],
        default="sensitive",
        help="key-file KDF cost; 'interactive' only for tests and demos",
    )
    init.set_defaults(run=cmd_init, needs_caisse=False)

    keys_p = sub.add_parser("keys", help="issuer keys").add_subparsers(
        dest="keys_command", required=True
    )
    keys_p.add_parser("rotate", help="new issuer key").set_defaults(run=cmd_keys_rotate)
    tl = sub.add_parser("trust-list", help="trust list").add_subparsers(
        dest="tl_command", required=True
    )
    tl.add_parser("sign", help="sign a new trust list now").set_defaults(run=cmd_trust_list_sign)
    sub.add_parser("status", help="caisse summary").set_defaults(run=cmd_status)

    member = sub.add_parser("member", help="members").add_subparsers(
        dest="member_command", required=True
    )
    add = member.add_parser("add", help="add a member; prints an activation link")
    add.add_argument("--name", required=True)
    add.add_argument("--email")
    add.add_argument("--household", type=int, help="household id (default: a new one-adult one)")
    add.add_argument("--language", choices=members.LANGUAGES, help="of the member's letter")
    add.set_defaults(run=cmd_member_add)
    imp = member.add_parser(
        "import",
        help="add members from a CSV file: a header naming name/nom/naam and, if any, "
        "email/courriel/e-mail and language/langue/taal; ';' or ',' between fields; "
        "UTF-8 or Windows-1252",
    )
    imp.add_argument("file")
    imp.add_argument(
        "--language",
        choices=members.LANGUAGES,
        default="fr",
        help="letter language of the rows that give none (default fr)",
    )
    imp.set_defaults(run=cmd_member_import)
    edit = member.add_parser("edit", help="correct a member's name, e-mail or letter language")
    edit.add_argument("id")
    edit.add_argument("--name")
    edit.add_argument("--email", help="'' removes it")
    edit.add_argument("--language", choices=members.LANGUAGES)
    edit.set_defaults(run=cmd_member_edit)
    for name, run, text in (
        ("code", cmd_member_code, "a new activation code (the old phone keeps working)"),
        ("reenrol", cmd_member_reenrol, "lost phone: block the old phone, a new activation code"),
        ("revoke", cmd_member_revoke, "block a member"),
    ):
        cmd = member.add_parser(name, help=text)
        cmd.add_argument("id")
        cmd.set_defaults(run=run)
    mlist = member.add_parser("list", help="list members (JSON lines, or --csv), filtered")
    mlist.add_argument("--status", choices=member_list.STATUSES)
    mlist.add_argument("--language", choices=members.LANGUAGES, help="of the member's letters")
    mlist.add_argument(
        "--activation",
        choices=member_list.ACTIVATIONS,
        help="pending: never activated, code still valid; expired: a new letter is needed",
    )
    mlist.add_argument("--q", help="search name, e-mail or number (accents ignored)")
    mlist.add_argument("--csv", action="store_true", help="a CSV for Excel instead of JSON")
    mlist.set_defaults(run=cmd_member_list)
    admin_cli_democracy.add_member_commands(member)
    cli_vouchers.add_member_commands(member)

    merchant = sub.add_parser("merchant", help="merchants").add_subparsers(
        dest="merchant_command", required=True
    )
    madd = merchant.add_parser("add", help="add a shop; prints a scanner enrolment code")
    madd.add_argument("--name", required=True)
    madd.add_argument("--iban", required=True)
    madd.add_argument("--bic")
    _shop_details(madd)
    madd.set_defaults(run=cmd_merchant_add)
    medit = merchant.add_parser(
        "edit", help="correct a shop: name, bank account, language, address, hours, scope"
    )
    medit.add_argument("id")
    medit.add_argument("--name")
    medit.add_argument("--iban", help="a new account (a BIC not given is then dropped)")
    medit.add_argument("--bic", help="'' removes it")
    _shop_details(medit)
    medit.set_defaults(run=cmd_merchant_edit)
    for name, run, text in (
        ("code", cmd_merchant_code, "a new scanner enrolment code"),
        ("suspend", cmd_merchant_status, "suspend a shop"),
        ("resume", cmd_merchant_status, "resume a suspended shop"),
    ):
        cmd = merchant.add_parser(name, help=text)
        cmd.add_argument("id")
        cmd.set_defaults(run=run)
    merchant.add_parser("list", help="list merchants").set_defaults(run=cmd_merchant_list)
    mdev = merchant.add_parser("devices", help="list a shop's scanner keys")
    mdev.add_argument("id")
    mdev.set_defaults(run=cmd_merchant_devices)
    mrev = merchant.add_parser("revoke-device", help="refuse one scanner key (a stolen till)")
    mrev.add_argument("--merchant", required=True, help="merchant id")
    mrev.add_argument("--key", required=True, help="the scanner's public key, base64url")
    mrev.set_defaults(run=cmd_merchant_revoke_device)

    admin_cli_ledger.add_commands(sub)
    admin_cli_democracy.add_commands(sub)
    admin_cli_households.add_commands(sub)
    cli_users.add_commands(sub)
    cli_simulate.add_commands(sub)

    demo = sub.add_parser("demo", help="create (once) a demo caisse; print fresh codes")
    demo.set_defaults(run=cmd_demo, needs_caisse=False)
    return p


async def _run(args: argparse.Namespace) -> int:
    if not getattr(args, "needs_caisse", True):
        return await args.run(args)
    async with open_caisse(args.data, args.database) as caisse:
        await record_config(caisse.storage, caisse.config, audit.actor_of(args), now())
        return await args.run(args, caisse)


def _stdout_closed() -> int:
    """``ssa-admin member list | head``: the reader has what it wanted; end quietly.

    Whatever is still buffered for the closed pipe goes to /dev/null, so Python's own
    flush at exit does not complain either (the exit status is SIGPIPE's, as for cat).
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(glue_dash_values(argv, DASH_VALUE_OPTIONS))
    if not args.data and getattr(args, "needs_data", True):
        say("ssa-admin: --data DIR (or SSA_DATA) is required")
        return 2
    try:
        return asyncio.run(_run(args))
    except BrokenPipeError:
        return _stdout_closed()
    except ERRORS as exc:
        say(f"ssa-admin: error: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

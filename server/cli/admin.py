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
from pathlib import Path

from nacl.signing import SigningKey

from keys import keystore
from keys.cli_args import glue_dash_values
from server import config as config_mod
from server.caisse import members, merchants
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
from server.cli import admin_ledger as admin_cli_ledger
from server.cli import audit
from server.cli import users as cli_users
from server.cli.output import as_json, now, out, say
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
    *admin_cli_ledger.ERRORS,
    *cli_users.ERRORS,
)

# Values that may begin with "-": a base64url key, a free-text note or name.
DASH_VALUE_OPTIONS = ("--key", "--note", "--name")


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
            q, caisse.config, name=args.name, email=args.email, now=now()
        )
        await audit.record(q, args, "member.add", result.member_id)
    out(result)
    say(f"member {result.member_id} added; send them the activation link")
    return 0


async def cmd_member_import(args: argparse.Namespace, caisse: Caisse) -> int:
    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise AdminError(f"{args.file} is not UTF-8 text") from None
    ignored = members.ignored_columns(text)
    if ignored:
        say(f"columns not imported (the caisse keeps only name and email): {', '.join(ignored)}")
    good = bad = 0
    for line, row, error in members.read_csv(text):
        if row is not None:
            try:
                members.check_fields(row.get("name"), row.get("email"))
                async with caisse.storage.transaction() as q:
                    result = await members.add_member(
                        q, caisse.config, name=row["name"], email=row.get("email"), now=now()
                    )
                    await audit.record(q, args, "member.add", result.member_id, {"line": line})
                out({"line": line, **as_json(result)})
                good += 1
                continue
            except members.MemberError as exc:
                error = str(exc)
        out({"line": line, "error": error})
        say(f"line {line}: {error}")
        bad += 1
    await audit.record_alone(
        caisse.storage, args, "member.import", None,
        {"file": Path(args.file).name, "created": good, "refused": bad},
    )  # fmt: skip
    say(f"{good} members imported, {bad} rows refused")
    return 1 if bad else 0


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
    async with caisse.storage.read() as q:
        for row in await q.members():
            out(dict(row))
    return 0


async def cmd_merchant_add(args: argparse.Namespace, caisse: Caisse) -> int:
    async with caisse.storage.transaction() as q:
        result = await merchants.add_merchant(
            q, caisse.config, name=args.name, iban=args.iban, bic=args.bic, now=now()
        )
        shop = await q.merchant(result.merchant_id)  # as stored: the account the caisse pays
        assert shop is not None
        detail = {"name": shop["name"], "iban": shop["iban"], "bic": shop["bic"]}
        await audit.record(q, args, "shop.add", result.merchant_id, detail)
    out(result)
    say(f"merchant {result.merchant_id} added; enter the code in the shop's scanner")
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
    add.set_defaults(run=cmd_member_add)
    imp = member.add_parser("import", help="add members from a CSV file (name[,email])")
    imp.add_argument("file")
    imp.set_defaults(run=cmd_member_import)
    for name, run, text in (
        ("code", cmd_member_code, "a new activation code (the old phone keeps working)"),
        ("reenrol", cmd_member_reenrol, "lost phone: block the old phone, a new activation code"),
        ("revoke", cmd_member_revoke, "block a member"),
    ):
        cmd = member.add_parser(name, help=text)
        cmd.add_argument("id")
        cmd.set_defaults(run=run)
    member.add_parser("list", help="list members").set_defaults(run=cmd_member_list)

    merchant = sub.add_parser("merchant", help="merchants").add_subparsers(
        dest="merchant_command", required=True
    )
    madd = merchant.add_parser("add", help="add a shop; prints a scanner enrolment code")
    madd.add_argument("--name", required=True)
    madd.add_argument("--iban", required=True)
    madd.add_argument("--bic")
    madd.set_defaults(run=cmd_merchant_add)
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
    cli_users.add_commands(sub)

    demo = sub.add_parser("demo", help="create (once) a demo caisse; print fresh codes")
    demo.set_defaults(run=cmd_demo, needs_caisse=False)
    return p


async def _run(args: argparse.Namespace) -> int:
    if not getattr(args, "needs_caisse", True):
        return await args.run(args)
    async with open_caisse(args.data, args.database) as caisse:
        await record_config(caisse.storage, caisse.config, audit.actor_of(args), now())
        return await args.run(args, caisse)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(glue_dash_values(argv, DASH_VALUE_OPTIONS))
    if not args.data:
        say("ssa-admin: --data DIR (or SSA_DATA) is required")
        return 2
    try:
        return asyncio.run(_run(args))
    except ERRORS as exc:
        say(f"ssa-admin: error: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

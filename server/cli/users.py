"""``ssa-admin user add --email E [--role admin|operator]``: console accounts from the shell.

The password comes from SSA_ADMIN_PASSWORD (scripts, tests) or is asked twice
on the terminal; it is never an argument (it would show in ``ps`` and history).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from typing import Any

from server.cli.audit import cli_actor
from server.cli.output import out, say
from server.console.auth.accounts import AccountError, add_user
from server.console.auth.sessions import OPERATOR, ROLES

PASSWORD_ENV = "SSA_ADMIN_PASSWORD"
ERRORS = (AccountError,)


def _password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise AccountError(f"no terminal to ask the password: set {PASSWORD_ENV}")
    first = getpass.getpass("Password for the console account: ")
    if getpass.getpass("Same password again: ") != first:
        raise AccountError("the two passwords differ")
    return first


async def cmd_user_add(args: argparse.Namespace, caisse: Any) -> int:
    result = await add_user(
        caisse.storage,
        email=args.email,
        password=_password(),
        role=args.role,
        now=int(time.time()),
        actor=cli_actor(),
    )
    out(result)
    verb = "created" if result.created else "updated (new password; its sessions ended)"
    say(f"console account {result.email} ({result.role}) {verb}")
    return 0


def add_commands(sub: Any) -> None:
    user = sub.add_parser("user", help="admin console accounts").add_subparsers(
        dest="user_command", required=True
    )
    add = user.add_parser(
        "add", help=f"add a console account (or set its password); password from {PASSWORD_ENV}"
    )
    add.add_argument("--email", required=True)
    add.add_argument("--role", choices=ROLES, default=OPERATOR)
    add.set_defaults(run=cmd_user_add)

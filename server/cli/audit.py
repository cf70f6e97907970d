"""Every state change made with ``ssa-admin`` goes to the hash-chained audit log.

The console writes its own entries (actor: the console account); the command
line writes the same kind of entry with the actor ``cli:<unix user>``, or
``nightly`` for the cron job's ``reconcile --nightly``. An entry is written in
the transaction of its action when the command holds one, else right after it.
"""

from __future__ import annotations

import argparse
import getpass
import os
from typing import Any

from server.cli.output import now
from server.storage.core import Queries, Storage

NIGHTLY = "nightly"


def cli_actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = f"uid {os.getuid()}"
    return f"cli:{user}"


def actor_of(args: argparse.Namespace) -> str:
    return NIGHTLY if getattr(args, "nightly", False) else cli_actor()


async def record(
    q: Queries,
    args: argparse.Namespace,
    action: str,
    target: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """An audit entry inside the action's own transaction."""
    await q.console.append_audit(
        actor=actor_of(args), action=action, target=target, detail=detail or {}, now=now()
    )


async def record_alone(
    storage: Storage,
    args: argparse.Namespace,
    action: str,
    target: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """An audit entry for an action that ran its own transactions."""
    async with storage.transaction() as q:
        await record(q, args, action, target, detail)


__all__ = ["NIGHTLY", "actor_of", "cli_actor", "record", "record_alone"]

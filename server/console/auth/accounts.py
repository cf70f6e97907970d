"""Console accounts: created from the command line (``ssa-admin user add``), checked at login.

E-mail addresses are the account names (trimmed, lower case). Adding an
account that exists sets its password and role again (a forgotten password),
which ends its open sessions. Both are written to the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.console.auth.passwords import hash_password, password_problem, verify_password
from server.console.auth.sessions import ROLES
from server.console.auth.slow import SlowChecks
from server.errors import DomainError
from server.storage.core import Storage

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


class AccountError(DomainError):
    """An account cannot be created or changed; the message says why."""

    code = "INVALID_ACCOUNT"


@dataclass(frozen=True, slots=True)
class AccountSaved:
    email: str
    role: str
    created: bool  # False: the account existed; its password and role were set again


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def add_user(
    storage: Storage, *, email: str, password: str, role: str, now: int, actor: str = "cli"
) -> AccountSaved:
    email = normalize_email(email)
    if not EMAIL.fullmatch(email):
        raise AccountError(f"invalid e-mail address {email!r:.80}")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    hashed = hash_password(password)
    async with storage.transaction() as q:
        created = await q.console.insert_admin_user(email, hashed, role, now)
        if not created:
            await q.console.set_admin_password(email, hashed, role, now)
        action = "user.add" if created else "user.password_reset"
        await q.console.append_audit(
            actor=actor, action=action, target=email, detail={"role": role}, now=now
        )
    return AccountSaved(email, role, bool(created))


async def check_login(
    storage: Storage, email: str, password: str, checks: SlowChecks | None = None
) -> str | None:
    """The role of the account if the password is right (and the account enabled), else None.

    With ``checks``, argon2id runs in its bounded pool, off the event loop (``Busy``
    when it is full)."""
    async with storage.read() as q:
        row = await q.console.admin_user(normalize_email(email))
    stored = row["password_hash"] if row is not None and row["disabled_at"] is None else None
    ok = (
        await checks.run(verify_password, stored, password)
        if checks is not None
        else verify_password(stored, password)
    )
    if not ok:
        return None
    return row["role"] if row is not None else None

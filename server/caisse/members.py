"""Members: enrolled by the caisse (admin), activated by their wallet (API).

A member is a random 8-byte pseudonym (``sub``, also its id in hex) plus a
name and an optional e-mail for the caisse's own use; nothing personal goes
into a credential or a QR. Activation codes are single-use, expire, and are
stored only as hashes.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from nacl.signing import SigningKey

from server.caisse import codes
from server.caisse.issuing import credentials_for
from server.caisse.keyring import KeyRing
from server.caisse.trust import sign_new_list
from server.config import Config
from server.errors import DomainError
from server.storage.core import MEMBER_REVOKED, Queries

KIND = "member"
EMAIL = re.compile(r"^[^@\s,;<>]{1,64}@[^@\s,;<>]{1,190}\.[^@\s,;<>]{2,}$")
MAX_NAME = 200
CSV_FIELDS = {"name", "email"}


class MemberError(DomainError):
    """A member cannot be added, found or changed; the message says why."""

    code = "INVALID_MEMBER"


@dataclass(frozen=True, slots=True)
class Activation:
    member_id: str
    credentials: list[bytes]


@dataclass(frozen=True, slots=True)
class ActivationCode:
    """A member's one-time activation code and the wallet link that carries it."""

    member_id: str
    activation_code: str
    activation_url: str


@dataclass(frozen=True, slots=True)
class MemberRevoked:
    member_id: str
    status: str
    trust_list_seq: int


def activation_url(config: Config, code: str) -> str:
    return f"{config.base_url.rstrip('/')}/wallet/#activate={code}"


def check_fields(name: Any, email: Any) -> tuple[str, str | None]:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise MemberError(f"name must be 1 to {MAX_NAME} characters")
    if any(ord(c) < 32 for c in name):
        raise MemberError("name must not contain control characters")
    if email is not None and email != "":
        if not isinstance(email, str) or not EMAIL.fullmatch(email):
            raise MemberError(f"invalid e-mail address {email!r:.80}")
        return name.strip(), email.strip()
    return name.strip(), None


async def _new_code(q: Queries, config: Config, member_id: str, now: int) -> str:
    await q.cancel_codes(KIND, member_id, now)
    code = codes.new_code()
    await q.insert_code(codes.code_hash(code), KIND, member_id, now, now + config.code_ttl_s)  # type: ignore[arg-type]
    return code


async def add_member(
    q: Queries, config: Config, *, name: str, email: str | None, now: int
) -> ActivationCode:
    name, email = check_fields(name, email)
    sub = secrets.token_bytes(8)
    member_id = sub.hex()
    await q.insert_member(member_id, sub, name, email, None, now)
    code = await _new_code(q, config, member_id, now)
    return ActivationCode(member_id, code, activation_url(config, code))


async def new_activation_code(
    q: Queries, config: Config, member_id: str, now: int
) -> ActivationCode:
    """A fresh code (lost phone): earlier unused codes stop working."""
    member = await q.member(member_id)
    if member is None:
        raise MemberError(f"no member {member_id}")
    if member["status"] == MEMBER_REVOKED:
        raise MemberError(f"member {member_id} is revoked")
    code = await _new_code(q, config, member_id, now)
    return ActivationCode(member_id, code, activation_url(config, code))


def read_csv(text: str) -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
    """(line number, row, error) for each data row; a header with ``name`` is required."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = {h.strip().lower() for h in (reader.fieldnames or []) if h}
    except csv.Error as exc:
        yield 1, None, f"unreadable CSV: {exc}"
        return
    if "name" not in header:
        yield (
            1,
            None,
            "the first line must be a header with a 'name' column (and optionally 'email')",
        )
        return
    try:
        for row in reader:
            line = reader.line_num
            clean = {
                (k or "").strip().lower(): (v or "").strip()
                for k, v in row.items()
                if isinstance(v, str) or v is None
            }
            if None in row:
                yield line, None, "more fields than the header has"
                continue
            yield line, clean, None
    except csv.Error as exc:
        yield reader.line_num, None, f"unreadable CSV: {exc}"


def ignored_columns(text: str) -> list[str]:
    """Columns of an import that are not stored (a CPAS list may carry more than we keep)."""
    try:
        first = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return []  # read_csv reports the unreadable header
    return [h for h in first if h.strip().lower() not in CSV_FIELDS]


async def revoke_member(
    q: Queries, config: Config, root: SigningKey, member_id: str, now: int
) -> MemberRevoked:
    """Block a member: their pseudonym goes into a newly signed trust list."""
    member = await q.member(member_id)
    if member is None:
        raise MemberError(f"no member {member_id}")
    if not await q.revoke_member(member_id, now):
        raise MemberError(f"member {member_id} is already revoked")
    await q.cancel_codes(KIND, member_id, now)
    signed = await sign_new_list(q, config, root, now, "member revoked")
    return MemberRevoked(member_id, MEMBER_REVOKED, signed.seq)


async def activate(
    q: Queries, config: Config, keyring: KeyRing, *, code_hash: bytes, public_key: bytes, now: int
) -> Activation | None:
    """Spend an activation code for ``public_key``; None if the code is not valid.

    Raises MemberError for a valid code that cannot be used (key taken, member revoked);
    the caller's transaction then rolls back and the code stays unspent.
    """
    member_id = await q.take_code(code_hash, KIND, now)
    if member_id is None:
        return None
    member = await q.member(member_id)
    if member is None or member["status"] == MEMBER_REVOKED:
        raise MemberError("this member's access has been revoked", "MEMBER_REVOKED")
    owner = await q.member_by_key(public_key)
    if (owner is not None and owner["member_id"] != member_id) or (
        owner is None and await q.key_in_use(public_key)
    ):
        raise MemberError("this public key is already enrolled", "KEY_IN_USE")
    replaced = await q.revoke_credentials_of(member_id, now) if owner is None else 0
    await q.activate_member(member_id, public_key, now)
    if replaced:
        await sign_new_list(q, config, keyring.root, now, "wallet re-activated")
    creds = await credentials_for(
        q,
        config,
        keyring,
        member_id=member_id,
        sub=bytes(member["sub"]),
        public_key=public_key,
        now=now,
    )
    return Activation(member_id, creds)


@dataclass(frozen=True, slots=True)
class Reenrolment(ActivationCode):
    """The new activation code, and what was blocked of the lost phone."""

    credentials_revoked: int
    trust_list_seq: int | None


async def reenrol(
    q: Queries, config: Config, root: SigningKey, member_id: str, now: int
) -> Reenrolment:
    """The lost-phone case: block the phone in the member's hands now, and issue a new code.

    The old phone's credentials are revoked in a newly signed trust list and its key
    is forgotten (so it cannot fetch a new credential either); the new phone gets what
    is left of the month's allowance when it activates with the new code.
    """
    member = await q.member(member_id)
    if member is None:
        raise MemberError(f"no member {member_id}")
    if member["status"] == MEMBER_REVOKED:
        raise MemberError(f"member {member_id} is revoked")
    detached = await q.console.detach_member_key(member_id)
    replaced = await q.revoke_credentials_of(member_id, now)
    seq = None
    if detached or replaced:
        seq = (await sign_new_list(q, config, root, now, "wallet lost")).seq
    code = await new_activation_code(q, config, member_id, now)
    return Reenrolment(code.member_id, code.activation_code, code.activation_url, replaced, seq)

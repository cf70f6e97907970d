"""Members: enrolled by the caisse (admin), activated by their wallet (API).

A member is a random 8-byte pseudonym (``sub``, also its id in hex) plus a
name and an optional e-mail for the caisse's own use; nothing personal goes
into a credential or a QR. Activation codes are single-use, expire, and are
stored only as hashes.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from nacl.signing import SigningKey

from server.caisse import codes, households
from server.caisse.issuing import credentials_for
from server.caisse.keyring import KeyRing
from server.caisse.trust import sign_new_list
from server.config import Config
from server.errors import DomainError
from server.periods import period_at
from server.storage.core import MEMBER_REVOKED, Queries

KIND = "member"
EMAIL = re.compile(r"^[^@\s,;<>]{1,64}@[^@\s,;<>]{1,190}\.[^@\s,;<>]{2,}$")
MAX_NAME = 200
LANGUAGES = ("fr", "nl", "en")  # of a member's letters (and of the console)


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
class NewMember(ActivationCode):
    """A member just added: their activation code, and the household they are in."""

    household_id: int | None = None


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


def check_language(language: Any) -> str | None:
    if language is None or language == "":
        return None
    if language not in LANGUAGES:
        raise MemberError(f"language must be one of {', '.join(LANGUAGES)}")
    return str(language)


async def add_member(
    q: Queries,
    config: Config,
    *,
    name: str,
    email: str | None,
    now: int,
    household_id: int | None = None,
    language: str | None = None,
) -> NewMember:
    """A new member, in ``household_id`` or in a new one-adult household of their own."""
    name, email = check_fields(name, email)
    language = check_language(language)
    sub = secrets.token_bytes(8)
    member_id = sub.hex()
    await q.insert_member(member_id, sub, name, email, None, now)
    period = period_at(now, ZoneInfo(config.timezone)).name
    household = await households.place_member(
        q, config, member_id, household_id, period=period, now=now
    )
    if language is not None:
        await q.console.set_member_language(member_id, language)
    code = await _new_code(q, config, member_id, now)
    return NewMember(member_id, code, activation_url(config, code), household)


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


@dataclass(frozen=True, slots=True)
class MemberEdited:
    """What an edit changed: field → [before, after] (empty when nothing changed)."""

    member_id: str
    changes: dict[str, list[str | None]]


async def edit_member(
    q: Queries,
    member_id: str,
    *,
    name: str | None = None,
    email: str | None = None,
    language: str | None = None,
) -> MemberEdited:
    """Correct a member's name, e-mail ('' removes it) or letter language; None keeps one.

    The member's number, wallet and status do not change: a credential carries
    none of these details, so nothing is re-signed.
    """
    member = await q.member(member_id)
    if member is None:
        raise MemberError(f"no member {member_id}")
    before = {
        "name": member["name"],
        "email": member["email"],
        "language": await q.console.member_language(member_id),
    }
    new_name, new_email = check_fields(
        member["name"] if name is None else name, member["email"] if email is None else email
    )
    after = {
        "name": new_name,
        "email": new_email,
        "language": before["language"] if language is None else check_language(language),
    }
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        await q.update_member(member_id, name=new_name, email=new_email, language=after["language"])
    return MemberEdited(member_id, changes)


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

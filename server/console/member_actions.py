"""Member actions of the console that combine several steps of ``server.members``.

``reenrol`` is the lost-phone case: the phone in the member's hands now is
blocked at once (its credentials revoked in a newly signed trust list, its key
forgotten, so it cannot fetch a new credential either), and a new activation
code is issued; the new phone gets what is left of the month's allowance.
``check_member_fields`` gives the console per-field messages for the rules of
``members.check_fields``.
"""

from __future__ import annotations

from dataclasses import dataclass

from nacl.signing import SigningKey

from server.caisse import members
from server.caisse.trust import sign_new_list
from server.config import Config
from server.console.forms import Errors, Translator
from server.storage.console import AdminQueries
from server.storage.core import MEMBER_REVOKED, Queries

MAX_IMPORT_ROWS = 5000


@dataclass(frozen=True, slots=True)
class Reenrolment(members.ActivationCode):
    """The new activation code, and what was blocked of the lost phone."""

    credentials_revoked: int
    trust_list_seq: int | None


async def reenrol(
    q: Queries, config: Config, root: SigningKey, member_id: str, now: int
) -> Reenrolment:
    member = await q.member(member_id)
    if member is None:
        raise members.MemberError(f"no member {member_id}")
    if member["status"] == MEMBER_REVOKED:
        raise members.MemberError(f"member {member_id} is revoked")
    detached = await AdminQueries.of(q).detach_member_key(member_id)
    replaced = await q.revoke_credentials_of(member_id, now)
    seq = None
    if detached or replaced:
        seq = (await sign_new_list(q, config, root, now, "wallet lost")).seq
    code = await members.new_activation_code(q, config, member_id, now)
    return Reenrolment(code.member_id, code.activation_code, code.activation_url, replaced, seq)


def check_member_fields(name: str, email: str, _: Translator, errors: Errors) -> None:
    """The rules of ``members.check_fields``, one translated message per field."""
    try:
        members.check_fields(name, None)
    except members.MemberError:
        errors.add(
            "name",
            _(
                "Enter the name: 1 to %(max)s characters, no control characters.",
                max=members.MAX_NAME,
            ),
        )
    if email:
        try:
            members.check_fields("x", email)
        except members.MemberError:
            errors.add("email", _("This e-mail address is not valid (example: name@example.org)."))


def csv_error(message: str, _: Translator) -> str:
    """The import's structural errors (``members.read_csv``) in the console's language."""
    if message.startswith("the first line must be a header"):
        return _("The first line must be a header with a “name” column (and “email” if any).")
    if message.startswith("more fields"):
        return _("This line has more fields than the header.")
    return _("This line cannot be read as CSV.")

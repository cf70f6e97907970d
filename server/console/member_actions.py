"""The console's side of member actions: ``check_member_fields`` gives per-field
messages for the rules of ``members.check_fields``. (The lost-phone case,
``members.reenrol``, is a members service the CLI offers too.)
"""

from __future__ import annotations

from server.caisse import members
from server.console.forms import Errors, Translator

MAX_IMPORT_ROWS = 5000


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

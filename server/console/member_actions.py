"""The console's side of member actions: ``check_member_fields`` gives per-field
messages for the rules of ``members.check_fields``. (The lost-phone case,
``members.reenrol``, is a members service the CLI offers too.)
"""

from __future__ import annotations

from server.caisse import member_csv, members
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


def csv_error(code: str, _: Translator, *, value: str = "") -> str:
    """The import's errors (``member_csv`` codes) in the console's language."""
    if code == member_csv.NO_NAME_COLUMN:
        return _(
            "The first line must name the columns, one of them the name: “nom”, “naam” or "
            "“name” (and, if you have them, “courriel”/“e-mail”/“email” and "
            "“langue”/“taal”/“language”)."
        )
    if code == member_csv.EMPTY:
        return _("The file is empty.")
    if code == member_csv.MORE_FIELDS:
        return _("This line has more fields than the header.")
    if code == member_csv.UNKNOWN_LANGUAGE:
        return _("Unknown language “%(value)s”: write fr, nl or en.", value=value)
    return _("This line cannot be read as CSV.")

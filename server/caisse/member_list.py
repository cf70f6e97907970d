"""Members listed and exported: the same filters for the console's CSV and ``member list``.

Filters: status (active, pending, revoked), the letter's language, activation
("pending": never activated, code still valid; "expired": never activated and
no code works any more — they need a new letter), and a search on name, e-mail
or number (accents and case ignored). The CSV is what Excel in fr-BE and nl-BE
opens as it is (``;``, UTF-8 with BOM) and what the import reads back: its
name, e-mail and language columns are the import's.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from zoneinfo import ZoneInfo

from server.caisse.members import LANGUAGES, MemberError
from server.storage.core import MEMBER_ACTIVE, MEMBER_PENDING, MEMBER_REVOKED, Queries

STATUSES = (MEMBER_ACTIVE, MEMBER_PENDING, MEMBER_REVOKED)
ACTIVATIONS = ("pending", "expired")
# The export's columns, in order (the console puts their titles in its language).
COLUMNS = (
    "name", "email", "language", "status", "member_id", "created_at", "activated_at",
    "revoked_at", "code_expires_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Filters:
    status: str | None = None
    language: str | None = None
    activation: str | None = None
    search: str | None = None

    def check(self) -> Filters:
        if self.status not in (None, *STATUSES):
            raise MemberError(f"status must be one of {', '.join(STATUSES)}")
        if self.language not in (None, *LANGUAGES):
            raise MemberError(f"language must be one of {', '.join(LANGUAGES)}")
        if self.activation not in (None, *ACTIVATIONS):
            raise MemberError(f"activation must be one of {', '.join(ACTIVATIONS)}")
        return self


@dataclass(frozen=True, slots=True)
class MemberListed:
    member_id: str
    name: str
    email: str | None
    language: str | None
    status: str
    created_at: int
    activated_at: int | None
    revoked_at: int | None
    code_expires_at: int | None


def folded(text: str | None) -> str:
    """Lower case without accents: 'Élise' and 'elise' match."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _matches(member: MemberListed, needle: str) -> bool:
    return (
        needle in folded(member.name)
        or needle in folded(member.email)
        or member.member_id.startswith(needle)
    )


async def list_members(q: Queries, filters: Filters, now: int) -> list[MemberListed]:
    filters.check()
    rows = await q.console.member_listing(
        status=MEMBER_PENDING if filters.activation else filters.status,
        language=filters.language,
        code_expired_at=now if filters.activation == "expired" else None,
    )
    found = [MemberListed(**{f.name: row[f.name] for f in fields(MemberListed)}) for row in rows]
    if filters.activation == "pending":
        found = [m for m in found if m.code_expires_at is not None and m.code_expires_at > now]
    if filters.status and filters.activation and filters.status != MEMBER_PENDING:
        return []  # an activation filter is about members who never activated
    if filters.search:
        needle = folded(filters.search)
        found = [m for m in found if _matches(m, needle)]
    return found


def to_csv(
    members: Iterable[MemberListed],
    timezone: str,
    *,
    titles: dict[str, str] | None = None,
    words: Callable[[str, str], str] | None = None,
) -> bytes:
    """The members as a CSV for Excel (``;``, UTF-8 with BOM, dates as YYYY-MM-DD HH:MM).

    ``titles``: each column's title (default: its English name, which the import
    reads back); ``words(column, value)``: a status or language in words.
    """
    tz = ZoneInfo(timezone)

    def when(ts: int | None) -> str:
        return "" if ts is None else datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([(titles or {}).get(c, c) for c in COLUMNS])
    for m in members:
        row = []
        for column in COLUMNS:
            value = getattr(m, column)
            if column.endswith("_at"):
                row.append(when(value))
            elif words is not None and column in ("status", "language") and value:
                row.append(words(column, value))
            else:
                row.append("" if value is None else str(value))
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")

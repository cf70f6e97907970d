"""The caisse's three languages: French, Dutch, English — catalogues and formats.

``server/locale/LANG/LC_MESSAGES/admin.po`` is compiled in memory (Babel's
``write_mo``) the first time a language is asked for: the console's pages and
the documents the caisse sends (a shop's statement, the text of its bank
transfer) share one catalogue. Amounts and dates follow the Belgian variant of
each language (``23,40 €`` in French, ``€ 23,40`` in Dutch).

A base concept: the console (``server.console.i18n``) and the ledger (documents
in a shop's language) both stand on it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

from server.banking import grouped

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "admin"
LANGUAGES = ("fr", "nl", "en")
DEFAULT = "fr"
BABEL_LOCALE = {"fr": "fr_BE", "nl": "nl_BE", "en": "en_BE"}
NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def load_translations(language: str) -> Translations:
    """The catalogue of ``language``, compiled from its .po file now."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@cache
def translations(language: str) -> Translations:
    """``load_translations`` once per process (documents made outside the console)."""
    return load_translations(language if language in LANGUAGES else DEFAULT)


def gettext_of(catalogue: Translations) -> Callable[..., str]:
    """``_(message, **values)``: new-style gettext, as the templates have it."""

    def _(message: str, **values: Any) -> str:
        text = catalogue.gettext(message)
        return text % values if values else text

    return _


def ngettext_of(catalogue: Translations) -> Callable[..., str]:
    """``ngettext(singular, plural, n, **values)``; ``%(num)s`` is ``n`` unless given."""

    def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
        values.setdefault("num", n)
        return catalogue.ngettext(singular, plural, n) % values

    return ngettext


def accepted(header: str) -> list[str]:
    """Languages of an Accept-Language header, best first (two-letter tags)."""
    ranked = []
    for position, part in enumerate(header.split(",")[:20]):
        piece = part.strip().split(";")
        tag = piece[0].strip().lower()[:2]
        quality = 1.0
        for param in piece[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag:
            ranked.append((-quality, position, tag))
    return [tag for negative_q, _, tag in sorted(ranked) if negative_q < 0]


def from_header(header: str) -> str:
    """The caisse's language a browser asks for first, else French."""
    return next((tag for tag in accepted(header) if tag in LANGUAGES), DEFAULT)


class Formats:
    """Babel formatting for one language, in the caisse's time zone."""

    def __init__(self, language: str, timezone: str) -> None:
        self.language = language
        self.locale = Locale.parse(BABEL_LOCALE[language])
        self.tz = ZoneInfo(timezone)

    def money(self, cents: int | None) -> str:
        if cents is None:
            return "—"
        return format_currency(Decimal(cents) / 100, "EUR", locale=self.locale)

    def number(self, value: int | None) -> str:
        return "—" if value is None else format_decimal(value, locale=self.locale)

    def datetime(self, ts: int | None) -> str:
        if ts is None:
            return "—"
        when = datetime.fromtimestamp(ts, self.tz)
        return format_datetime(when, "medium", tzinfo=self.tz, locale=self.locale)

    def short_datetime(self, ts: int) -> str:
        """'12/03/2026 14:05': a statement's line."""
        when = datetime.fromtimestamp(ts, self.tz)
        return format_datetime(when, "short", tzinfo=self.tz, locale=self.locale)

    def date(self, ts: int | None) -> str:
        if ts is None:
            return "—"
        return format_date(datetime.fromtimestamp(ts, self.tz).date(), "long", locale=self.locale)

    def month(self, period: str) -> str:
        """'2026-03' → 'mars 2026'."""
        year, month = (int(x) for x in period.split("-"))
        return format_date(datetime(year, month, 1).date(), "MMMM y", locale=self.locale)

    def axis_month(self, period: str) -> str:
        """'2026-03' → 'mars\n2026': a chart's axis label, the year under the month."""
        year, month = (int(x) for x in period.split("-"))
        name = format_date(datetime(year, month, 1).date(), "LLL", locale=self.locale)
        return f"{name}\n{year}"

    def iso(self, ts: int | None) -> str:
        return "" if ts is None else datetime.fromtimestamp(ts, self.tz).isoformat()

    def iban(self, iban: str | None) -> str:
        """In groups of four, as on a bank card."""
        return grouped(iban)

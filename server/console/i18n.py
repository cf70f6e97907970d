"""The console in French, Dutch and English: gettext catalogues read with Babel.

``server/locale/LANG/LC_MESSAGES/admin.po`` is compiled in memory at start-up
(``babel.messages.mofile``) into a ``babel.support.Translations``, installed in
one Jinja2 environment per language (``jinja2.ext.i18n``). Nothing to build:
edit the .po file, restart. Amounts and dates are formatted by Babel for the
Belgian variant of each language (``23,40 €`` in French).
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations
from starlette.requests import Request

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "admin"
LANGUAGES = ("fr", "nl", "en")
DEFAULT = "fr"
LANG_COOKIE = "ssa_admin_lang"
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


def _accepted(header: str) -> list[str]:
    """Languages of an Accept-Language header, best first."""
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


def pick_language(request: Request) -> str:
    """``?lang=``, else the cookie, else the browser's Accept-Language, else French."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    for tag in _accepted(request.headers.get("accept-language", "")):
        if tag in LANGUAGES:
            return tag
    return DEFAULT


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

    def date(self, ts: int | None) -> str:
        if ts is None:
            return "—"
        return format_date(datetime.fromtimestamp(ts, self.tz).date(), "long", locale=self.locale)

    def month(self, period: str) -> str:
        """'2026-03' → 'mars 2026'."""
        year, month = (int(x) for x in period.split("-"))
        return format_date(datetime(year, month, 1).date(), "MMMM y", locale=self.locale)

    def iso(self, ts: int | None) -> str:
        return "" if ts is None else datetime.fromtimestamp(ts, self.tz).isoformat()

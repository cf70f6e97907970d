"""What the till says, in French, Dutch or English (gettext catalogues read with Babel).

Result codes are message ids, so every SPEC code has plain words in each
language; amounts are formatted by Babel for the locale (``23,40 €`` in fr-BE).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from keys.tokens import Voucher
from keys.verify import VerifyResult

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("fr", "nl", "en")
_BABEL_LOCALE = {"fr": "fr_BE", "nl": "nl_BE", "en": "en_BE"}


def pick_language(requested: str | None = None) -> str:
    """``requested``, else the environment's language (LANG/LC_ALL), else French."""
    for candidate in (requested, os.environ.get("LC_ALL"), os.environ.get("LANG")):
        if candidate and candidate[:2].lower() in LANGUAGES:
            return candidate[:2].lower()
    return "fr"


@cache
def _catalogue(language: str) -> dict[str, str]:
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "scanner.po", "rb") as f:
        catalog = read_po(f, locale=language)
    return {
        m.id: m.string
        for m in catalog
        if isinstance(m.id, str) and isinstance(m.string, str) and m.string
    }


class Messages:
    def __init__(self, language: str | None = None) -> None:
        self.language = pick_language(language)
        self._strings = _catalogue(self.language)

    def __call__(self, message_id: str, **values: object) -> str:
        text = self._strings.get(message_id) or _catalogue("en").get(message_id, message_id)
        return text.format(**values) if values else text

    def amount(self, cents: int) -> str:
        return format_currency(Decimal(cents) / 100, "EUR", locale=_BABEL_LOCALE[self.language])

    def datetime(self, moment: dt.datetime) -> str:
        """A local (naive) date and time the language's way: 1 déc. 2026 14:05."""
        return format_datetime(moment, "d MMM y HH:mm", locale=_BABEL_LOCALE[self.language])

    def accepted(self, result: VerifyResult) -> str:
        """The title of an OK: the amount of a phone payment, "Bon papier 10,00 €" for a
        paper voucher (SPEC typ 3), so the cashier sees which one was taken."""
        amount = self.amount(result.amount_cents or 0)
        return self("ok.voucher", amount=amount) if isinstance(result.token, Voucher) else amount

"""What the caisse's printed papers share: a Unicode font, euros and dates in FR/NL, QR matrices.

The font is DejaVu Sans from Debian's ``fonts-dejavu-core`` (installed by
``scripts/system_deps.sh``): every Latin, Greek and Cyrillic letter a member's
name may hold ("Şahin", "Nguyễn", "Łukasz") prints as written, and so does "€".
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from babel.dates import format_date
from babel.numbers import format_currency
from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
LOCALES = {"fr": "fr_BE", "nl": "nl_BE", "en": "en_BE"}
QR_MASK = 2  # a fixed mask: choosing the best of eight costs 7x the time for no reading gain


class PrintError(RuntimeError):
    """A printed paper cannot be made (its font is missing); the message says what to install."""


def add_fonts(pdf: FPDF) -> None:
    for style, name in FONT_FILES.items():
        path = FONT_DIR / name
        if not path.is_file():
            raise PrintError(
                f"{path} is missing: install Debian's fonts-dejavu-core (scripts/system_deps.sh)"
            )
        pdf.add_font(FONT, style, str(path))


def euros(cents: int, language: str = "fr") -> str:
    """``2340`` → ``23,40 €`` (fr, nl) or ``€23.40``-style for en, as Babel writes them."""
    return format_currency(Decimal(cents) / 100, "EUR", locale=LOCALES.get(language, "fr_BE"))


def day(ts: int, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(ts, tz).date()


def short_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def month_name(period: str, language: str) -> str:
    """``2026-12`` → ``décembre 2026`` / ``december 2026`` / ``December 2026``."""
    year, month = int(period[:4]), int(period[5:7])
    return format_date(date(year, month, 1), "LLLL y", locale=LOCALES.get(language, "fr_BE"))


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR symbol of ``text`` (error correction M), without its quiet zone."""
    symbol = segno.make_qr(text, error="m", boost_error=False, mask=QR_MASK)
    return [[m == 1 for m in row] for row in symbol.matrix]

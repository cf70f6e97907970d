"""Monthly voucher sheets as one print-ready A4 PDF: eight vouchers a page, with cut marks.

Each member starts a new page, headed by their name, the month, the total and
the number of vouchers, so the volunteer hands the right pages to the right
person; the vouchers themselves carry no name (the shop sees an amount, a
validity and a serial; the member's pseudonym is inside the signed QR).

A voucher (100 × 66 mm, A7-like, two columns of four rows) shows its QR (42 mm:
4.5 pixels a module even when the page is scanned at 150 dpi), the amount in
large type, the validity, a short serial, the caisse's name and contact, and
two lines of instructions in French and Dutch. Dashed cut lines run between the
vouchers, with crop marks past the grid's corners.

The QR is a one-bit image of its modules (one pixel each, drawn without
smoothing): a few hundred bytes a voucher, where drawing each module as a
rectangle would make a 1,000-member run tens of megabytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from fpdf import FPDF
from PIL import Image

from server.caisse.pdf_common import (
    FONT,
    add_fonts,
    day,
    euros,
    month_name,
    qr_matrix,
    short_date,
)
from server.config import Config

PAGE_W, PAGE_H = 210.0, 297.0
HEADER_H = 22.0
COLS, ROWS = 2, 4
CELL_W, CELL_H = 100.0, 66.0
GRID_X = (PAGE_W - COLS * CELL_W) / 2  # 5 mm
GRID_Y = HEADER_H + 3.0
PER_PAGE = COLS * ROWS
QR_MM = 42.0
QUIET = 4  # modules of white around the symbol, as ISO 18004 asks

INSTRUCTIONS_FR = "À présenter à la caisse d'un commerce agréé. Valable une seule fois."
INSTRUCTIONS_NL = "Aan de kassa van een erkende winkel tonen. Slechts één keer geldig."


@dataclass(frozen=True, slots=True)
class PrintedVoucher:
    serial: str
    amount_cents: int
    qr: str


@dataclass(frozen=True, slots=True)
class PrintedSheet:
    """One member's month, as printed."""

    sheet_id: int
    member_name: str
    period: str
    nbf: int
    exp: int
    amount_cents: int
    vouchers: tuple[PrintedVoucher, ...]
    replaces: int | None = None
    already_used: int = 0


def cell_origin(index: int) -> tuple[float, float]:
    """Top-left corner (mm) of the ``index``-th voucher of a page, row by row."""
    row, col = divmod(index, COLS)
    return GRID_X + col * CELL_W, GRID_Y + row * CELL_H


def qr_box(index: int) -> tuple[float, float, float, float]:
    """Where the ``index``-th voucher's QR symbol (quiet zone included) lies: x, y, w, h mm."""
    x, y = cell_origin(index)
    return x + 3.0, y + 11.0, QR_MM, QR_MM


def _qr_image(text: str) -> Image.Image:
    """The symbol with its quiet zone, one pixel a module, black on white (1 bit)."""
    dark = np.array(qr_matrix(text), dtype=bool)
    light = np.pad(~dark, QUIET, constant_values=True)
    return Image.fromarray(light.astype(np.uint8) * 255, mode="L").convert("1")


class _Sheets(FPDF):
    def __init__(self, config: Config, title: str) -> None:
        super().__init__(format="A4", unit="mm")
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        add_fonts(self)
        self.set_title(title)
        self.set_author(config.caisse_name or config.caisse)
        self.set_creator("ssa-vouchers")


def render_sheets(config: Config, sheets: Sequence[PrintedSheet], *, printed_at: int) -> bytes:
    """The PDF of ``sheets``, in order; the same input always gives the same bytes."""
    tz = ZoneInfo(config.timezone)
    periods = sorted({s.period for s in sheets})
    title = "Bons alimentaires / Voedselbonnen " + ", ".join(periods)
    pdf = _Sheets(config, title)
    pdf.set_creation_date(datetime.fromtimestamp(printed_at, UTC))
    caisse = config.caisse_name or config.caisse
    for sheet in sheets:
        pages = max(1, -(-len(sheet.vouchers) // PER_PAGE))
        texts = _texts(pdf, sheet, caisse, config.caisse_contact, tz)
        for page in range(pages):
            pdf.add_page()
            _header(pdf, sheet, page, pages, caisse, tz)
            chunk = sheet.vouchers[page * PER_PAGE : (page + 1) * PER_PAGE]
            pdf.set_text_color(0)
            for index, voucher in enumerate(chunk):
                _voucher(pdf, index, voucher, texts)
            _cut_marks(pdf, len(chunk))
    if not sheets:
        pdf.add_page()
        pdf.set_font(FONT, "", 12)
        pdf.set_xy(15, 20)
        pdf.cell(0, 8, "Aucun bon à imprimer / Geen bonnen af te drukken / No vouchers to print")
    return bytes(pdf.output())


def _validity(sheet: PrintedSheet, tz: ZoneInfo) -> tuple[str, str]:
    first = day(sheet.nbf, tz)
    last = day(sheet.exp, tz) - timedelta(days=1)  # exp is exclusive: midnight after the last day
    return short_date(first), short_date(last)


def _header(
    pdf: FPDF, sheet: PrintedSheet, page: int, pages: int, caisse: str, tz: ZoneInfo
) -> None:
    pdf.set_text_color(0)
    pdf.set_xy(GRID_X + 2, 6)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(120, 7, sheet.member_name)
    pdf.set_font(FONT, "", 9)
    pdf.set_xy(GRID_X + 122, 6)
    pdf.cell(76, 7, f"{caisse}", align="R")
    first, last = _validity(sheet, tz)
    line = (
        f"{month_name(sheet.period, 'fr')} / {month_name(sheet.period, 'nl')} — "
        f"{euros(sheet.amount_cents)} — {len(sheet.vouchers)} bons / bonnen — "
        f"{first} → {last}"
    )
    pdf.set_xy(GRID_X + 2, 13)
    pdf.set_font(FONT, "", 9)
    pdf.cell(150, 5, line)
    pdf.set_xy(GRID_X + 152, 13)
    extra = f"feuille / blad {sheet.sheet_id}"
    if pages > 1:
        extra += f" — {page + 1}/{pages}"
    pdf.cell(46, 5, extra, align="R")
    notes = []
    if sheet.replaces is not None:
        notes.append(f"remplace la feuille / vervangt blad {sheet.replaces}")
    if sheet.already_used:
        notes.append(f"{sheet.already_used} bon(s) déjà utilisé(s) / reeds gebruikt")
    if notes:
        pdf.set_xy(GRID_X + 2, 18)
        pdf.set_font(FONT, "", 7.5)
        pdf.cell(196, 4, " — ".join(notes))


def _texts(
    pdf: FPDF, sheet: PrintedSheet, caisse: str, contact: str | None, tz: ZoneInfo
) -> list[tuple[str, float, float, float, str]]:
    """What every voucher of a sheet says besides its QR, amount and serial, placed once:
    (style, size, dx, baseline dy, text) relative to the voucher's corner."""
    first, last = _validity(sheet, tz)
    out: list[tuple[str, float, float, float, str]] = []

    def centred(style: str, size: float, dy: float, text: str) -> None:
        pdf.set_font(FONT, style, size)
        out.append((style, size, 72 - pdf.get_string_width(text) / 2, dy, text))

    label = "Bon papier · Papieren bon"
    pdf.set_font(FONT, "", 7.5)
    label_w = pdf.get_string_width(label)
    out.append(("", 7.5, 96 - label_w, 6.8, label))
    name = caisse
    pdf.set_font(FONT, "B", 8.5)
    while len(name) > 3 and pdf.get_string_width(name) > 92 - label_w - 3:
        name = name[:-2] + "…"
    out.append(("B", 8.5, 4, 6.8, name))
    centred("", 8, 30.2, f"Valable du {first}")
    centred("", 8, 34.4, f"au {last} inclus")
    centred("", 8, 38.8, f"Geldig van {first}")
    centred("", 8, 43.0, f"tot en met {last}")
    out.append(("", 6.6, 4, 56.6, INSTRUCTIONS_FR))
    out.append(("", 6.6, 4, 59.9, INSTRUCTIONS_NL))
    if contact:
        text = f"Perdu ? Verloren? {contact}"
        pdf.set_font(FONT, "", 6.2)
        while len(text) > 3 and pdf.get_string_width(text) > 92:
            text = text[:-2] + "…"
        out.append(("", 6.2, 4, 63.1, text))
    return out


def _voucher(
    pdf: FPDF,
    index: int,
    voucher: PrintedVoucher,
    texts: list[tuple[str, float, float, float, str]],
) -> None:
    x, y = cell_origin(index)
    for style, size, dx, dy, text in texts:
        pdf.set_font(FONT, style, size)
        pdf.text(x + dx, y + dy, text)
    qx, qy, qw, qh = qr_box(index)
    pdf.image(_qr_image(voucher.qr), x=qx, y=qy, w=qw, h=qh)
    amount = euros(voucher.amount_cents)
    pdf.set_font(FONT, "B", 26)
    pdf.text(x + 72 - pdf.get_string_width(amount) / 2, y + 22, amount)
    serial = f"N° {voucher.serial}"
    pdf.set_font(FONT, "B", 10)
    pdf.text(x + 72 - pdf.get_string_width(serial) / 2, y + 50, serial)


def _cut_marks(pdf: FPDF, used: int) -> None:
    rows = max(1, -(-used // COLS))
    bottom = GRID_Y + rows * CELL_H
    right = GRID_X + COLS * CELL_W
    pdf.set_draw_color(90)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=2, gap=1.5)
    for r in range(rows + 1):
        yy = GRID_Y + r * CELL_H
        pdf.line(GRID_X, yy, right, yy)
    for c in range(COLS + 1):
        xx = GRID_X + c * CELL_W
        pdf.line(xx, GRID_Y, xx, bottom)
    pdf.set_dash_pattern()
    # crop marks just outside the grid, where a guillotine's blade goes
    pdf.set_draw_color(0)
    for xx in (GRID_X + c * CELL_W for c in range(COLS + 1)):
        pdf.line(xx, GRID_Y - 3, xx, GRID_Y - 0.8)
        pdf.line(xx, bottom + 0.8, xx, min(PAGE_H - 0.5, bottom + 3))
    for yy in (GRID_Y + r * CELL_H for r in range(rows + 1)):
        if GRID_X >= 3:
            pdf.line(GRID_X - 3, yy, GRID_X - 0.8, yy)
            pdf.line(right + 0.8, yy, right + 3, yy)
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(90)
    pdf.set_xy(GRID_X + 1, GRID_Y - 3.6)
    pdf.cell(6, 3, "✂")


__all__ = ["PER_PAGE", "PrintedSheet", "PrintedVoucher", "cell_origin", "qr_box", "render_sheets"]

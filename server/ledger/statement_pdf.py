"""The shop statement as a printable PDF (fpdf2): what the HTML statement says, on A4.

The same words as the HTML page (``statement_text``: the shop's language, the
caisse's display name, a short reference and the time of each payment) and the
same rule: made and stored the first time it is issued, then always returned
byte for byte as stored. A Unicode font is embedded (DejaVu Sans, from Debian's
``fonts-dejavu-core``, subset to the characters used), so "Şahin Market —
Schaerbeek" prints as written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF

from server.ledger.statement_text import StatementText
from server.ledger.statements import StatementError

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu: fonts-dejavu-core
    Path("/usr/share/fonts/dejavu"),  # Fedora, Arch
    Path("/usr/local/share/fonts/dejavu"),
)
FONTS = {
    ("DejaVu", ""): "DejaVuSans.ttf",
    ("DejaVu", "B"): "DejaVuSans-Bold.ttf",
    ("DejaVuMono", ""): "DejaVuSansMono.ttf",
}
_WIDTHS = (28, 18, 40, 34, 62)  # date, time, payment, amount, status (mm; A4 minus margins)


class FontMissing(StatementError):
    """The statement's font is not installed (Debian: apt-get install fonts-dejavu-core)."""

    code = "FONT_MISSING"


def font_file(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FontMissing(
        f"the font {name} is missing: install fonts-dejavu-core (apt-get install "
        "fonts-dejavu-core, or run make system-deps)"
    )


def render_pdf(t: StatementText, settlement: Any, logo: Path | None = None) -> bytes:
    pdf = FPDF(format="A4")
    for (family, style), name in FONTS.items():
        pdf.add_font(family, style, font_file(name))
    pdf.set_creation_date(datetime.fromtimestamp(settlement["created_at"], UTC))
    pdf.set_title(f"{t.title} {settlement['settlement_id']} — {t.shop}")
    pdf.set_author(t.caisse)
    pdf.set_lang(t.language)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    if logo is not None:  # the caisse's logo (at most 600 × 200 px): 50 × 16 mm at most
        pdf.image(str(logo), x=pdf.w - pdf.r_margin - 50, y=8, w=50, h=16, keep_aspect_ratio=True)

    def line(text: str, size: float = 10, style: str = "") -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")

    line(t.title, 15, "B")
    pdf.ln(2)
    line(t.parties, 11, "B")
    line(t.settlement)
    line(t.transfer)
    line(f"{t.reference_label}: {t.reference}", 10, "B")
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 9)
    for width, title, align in zip(_WIDTHS, t.columns, "LLLRL", strict=True):
        pdf.cell(width, 6, title, border="B", align=align)
    pdf.ln()
    for heading, lines in t.sections:
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(sum(_WIDTHS), 6, heading)
        pdf.ln()
        for item in lines:
            cells = (item.date, item.time, item.reference, item.amount, item.status)
            for n, (width, text, align) in enumerate(zip(_WIDTHS, cells, "LLLRL", strict=True)):
                pdf.set_font("DejaVuMono" if n == 2 else "DejaVu", "", 9)
                pdf.cell(width, 5.5, text, align=align)
            pdf.ln()
    pdf.set_font("DejaVu", "B", 10)
    label = sum(_WIDTHS[:3])
    pdf.cell(label, 7, t.total_label, border="T")
    pdf.cell(_WIDTHS[3], 7, t.total, border="T", align="R")
    pdf.cell(_WIDTHS[4], 7, "", border="T")
    pdf.ln()
    if t.withheld_label and t.withheld:
        pdf.cell(label, 7, t.withheld_label)
        pdf.cell(_WIDTHS[3], 7, t.withheld, align="R")
        pdf.ln()
    if t.withheld_note:
        line(t.withheld_note, 8)
    pdf.ln(3)
    line(t.footer, 8)
    if t.contact:
        line(t.contact, 9)
    return bytes(pdf.output())

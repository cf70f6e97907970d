"""The shop statement as a printable PDF (fpdf2): what the HTML statement says, on A4.

Same content as ``server.statements`` (each payment with date, amount and token
id, the total, the transfer reference) and the same rule: made and stored the
first time it is issued, then always returned byte for byte as stored. The
built-in PDF fonts cover Latin-1 only, so amounts read ``EUR`` and any other
character is written as its closest Latin-1 letter (or ``?``); no font file
and no system package is needed.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF

from server.config import Config
from server.ledger.statements import KIND_TITLES, euros, local_time

_WIDTHS = (34, 100, 28, 20)  # date, token id, amount, status (mm, A4 minus margins)


def latin1(text: str) -> str:
    """What the built-in PDF fonts can draw: Latin-1 kept, accents elsewhere folded."""
    out = []
    for ch in text.replace("€", "EUR"):
        if ord(ch) < 256 and (ch.isprintable() or ch == " "):
            out.append(ch)
            continue
        folded = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
        out.append("".join(c for c in folded if c.isprintable()) or "?")
    return "".join(out)


def render_pdf(config: Config, settlement: Any, payout: Any, items: list) -> bytes:
    tz = ZoneInfo(config.timezone)
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime.fromtimestamp(settlement["created_at"], UTC))
    pdf.set_title(latin1(f"Statement {settlement['settlement_id']} - {payout['name']}"))
    pdf.set_author(latin1(config.sepa_debtor_name or config.caisse))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    def line(text: str, size: float = 10, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, size * 0.5, latin1(text), new_x="LMARGIN", new_y="NEXT")

    line("Relevé de paiements / Betalingsoverzicht / Payment statement", 14, "B")
    pdf.ln(2)
    line(
        f"{config.sepa_debtor_name or config.caisse} -> {payout['name']} ({payout['merchant_id']})"
    )
    until = local_time(settlement["until_ts"], tz)
    line(f"Settlement {settlement['settlement_id']}, until {until} ({config.timezone})")
    line(f"Transfer: {euros(payout['amount_cents'])} -> {payout['iban']}")
    line(f"Reference: {payout['reference']}", 10, "B")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 9)
    for width, title in zip(_WIDTHS, ("Date", "Token", "Amount", "Status"), strict=True):
        pdf.cell(width, 6, title, border="B", align="R" if title == "Amount" else "L")
    pdf.ln()
    for kind in ("payment", "voucher"):  # phone payments, then paper vouchers apart
        mine = [i for i in items if i["kind"] == kind]
        if not mine:
            continue
        pdf.set_font("Helvetica", "B", 8)
        pdf.cell(0, 6, latin1(KIND_TITLES[kind]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Courier", "", 7)
        for i in mine:
            cells = (
                local_time(i["scanned_at"], tz),
                bytes(i["token_id"]).hex()[:48],
                euros(i["amount_cents"]),
                i["outcome"],
            )
            for width, text, align in zip(_WIDTHS, cells, "LLRL", strict=True):
                pdf.cell(width, 5, latin1(text), align=align)
            pdf.ln()
        paid = [i for i in mine if i["outcome"] == "paid"]
        pdf.set_font("Helvetica", "", 8)
        pdf.cell(_WIDTHS[0] + _WIDTHS[1], 5, f"({len(paid)})")
        pdf.cell(_WIDTHS[2], 5, latin1(euros(sum(i["amount_cents"] for i in paid))), align="R")
        pdf.ln()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(_WIDTHS[0] + _WIDTHS[1], 7, f"Total paid ({payout['payments']})", border="T")
    pdf.cell(_WIDTHS[2], 7, latin1(euros(payout["amount_cents"])), border="T", align="R")
    pdf.cell(_WIDTHS[3], 7, "", border="T")
    pdf.ln()
    if payout["withheld"]:
        pdf.cell(_WIDTHS[0] + _WIDTHS[1], 7, f"Withheld ({payout['withheld']})")
        pdf.cell(_WIDTHS[2], 7, latin1(euros(payout["withheld_cents"])), align="R")
        pdf.ln()
        line(
            "Withheld payments conflict with a payment another shop accepted first; the "
            "caisse reviews them and may release them in a later settlement.",
            8,
        )
    return bytes(pdf.output())

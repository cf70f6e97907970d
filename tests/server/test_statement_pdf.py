"""The printable PDF shop statement, on SQLite and PostgreSQL: its text read back with pypdf."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from server.ledger.statement_pdf import latin1

from .test_settlement_documents import first_statement, settle_three_shops

pytestmark = pytest.mark.anyio


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_the_pdf_statement_shows_each_payment_the_total_and_the_transfer_reference(api):
    shops, summary = await settle_three_shops(api)
    shop = shops[2]
    line = next(p for p in summary.payouts if p["merchant_id"] == shop.merchant_id)
    pdf = await first_statement(api, shop, "pdf")
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    assert line["reference"] in text
    assert line["amount_cents"] == 2 * 1034
    assert "Total paid (2) 20,68 EUR" in text and text.count("10,34 EUR paid") == 2
    assert "Épicerie n°2" in text
    # Immutable once issued, whatever changes afterwards.
    async with api.ctx.storage.transaction() as q:
        await q.conn.execute("UPDATE payouts SET name = 'Renamed'")
    again = await first_statement(api, shop, "pdf", later=9)
    assert again == pdf


def test_text_outside_latin1_is_folded_never_an_error():
    assert latin1("Sklep Łódź — 5 €") == "Sklep ?ódz ? 5 EUR"
    assert latin1("Épicerie n°1") == "Épicerie n°1"

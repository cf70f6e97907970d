"""The printable PDF shop statement, on SQLite and PostgreSQL: its text read back with pypdf,
in the shop's language, with the shop's exact name and the caisse's display name."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from server.caisse import merchants
from server.ledger.statement_text import short_reference
from server.ledger.statements import statement

from .test_settlement_documents import first_statement, settle_three_shops

pytestmark = pytest.mark.anyio
NAME = "Şahin Market — Schaerbeek"


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def fonts_of(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


async def _rename(api, shop, language: str | None) -> None:
    async with api.ctx.storage.transaction() as q:
        await merchants.edit_merchant(q, shop.merchant_id, name=NAME, language=language)


async def test_the_pdf_statement_is_in_the_shops_language_with_its_exact_name(api):
    shops, summary = await settle_three_shops(api)
    shop = shops[2]
    line = next(p for p in summary.payouts if p["merchant_id"] == shop.merchant_id)
    await _rename(api, shop, "nl")  # the shop's own language; its name as the payout holds it
    async with api.ctx.storage.transaction() as q:
        await q.conn.execute(
            "UPDATE payouts SET name = ? WHERE merchant_id = ?", NAME, shop.merchant_id
        )
    api.cfg = api.cfg.with_(display_name="Caisse alimentaire de Schaerbeek")
    pdf = await first_statement(api, shop, "pdf")
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    assert NAME in text  # Ş and the em dash, as written
    assert "Caisse alimentaire de Schaerbeek" in text and api.cfg.caisse not in text
    assert "Betalingsoverzicht" in text and "Totaal betaald (2 betalingen)" in text
    assert "Referentie van de overschrijving: " + line["reference"] in text
    assert text.count("betaald") == 3  # two lines and the total
    for word in ("Settlement", "Transfer", "Token", "paid", "Total paid"):
        assert word not in text
    async with api.ctx.storage.read() as q:
        items = await q.ledger.items_of(1, shop.merchant_id)
    for item in items:
        assert short_reference(bytes(item["token_id"])) in text
        assert bytes(item["token_id"]).hex()[:48] not in text  # no more 48 hex digits
    assert any("DejaVu" in f for f in fonts_of(pdf))  # the Unicode font is embedded
    # Immutable once issued, whatever changes afterwards.
    async with api.ctx.storage.transaction() as q:
        await q.conn.execute("UPDATE payouts SET name = 'Renamed'")
    again = await first_statement(api, shop, "pdf", later=9)
    assert again == pdf


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", ("Relevé de paiements", "Total payé (2 paiements)", "Référence du virement")),
        ("en", ("Payment statement", "Total paid (2 payments)", "Reference of the transfer")),
    ],
)
async def test_the_html_and_pdf_statements_say_the_same_words(api, language, words):
    shops, _ = await settle_three_shops(api)
    shop = shops[1]
    await _rename(api, shop, language)
    pdf = text_of(await first_statement(api, shop, "pdf"))
    html = (
        await statement(
            api.ctx.storage, api.cfg, settlement_id=1, merchant_id=shop.merchant_id,
            fmt="html", now=api.now,
        )
    ).decode()  # fmt: skip
    assert f'<html lang="{language}">' in html
    for word in words:
        assert word in pdf and word in html

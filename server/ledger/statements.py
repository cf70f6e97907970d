"""Shop statements: per settlement and shop, each payment, the total, the transfer reference.

CSV (``;``-separated, as Belgian spreadsheets expect; fixed English columns for
programs), and for the shop, in its language, a printable HTML page
(``templates/statement.html``) and a PDF (``statement_pdf``) that say the same
words (``statement_text``). A statement is
stored the first time it is issued and always returned as stored: it never
changes afterwards, whatever the code or the data do.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.caisse.settings import logo_path
from server.config import Config
from server.errors import DomainError
from server.ledger import pages
from server.ledger.statement_text import statement_text
from server.storage.core import Storage

FORMATS = ("csv", "html", "pdf")
CSV_COLUMNS = ("date", "token_id", "amount", "amount_cents", "status", "reference", "kind")
KIND_TITLES = {
    "payment": "Paiements par téléphone / Betalingen met de telefoon / Phone payments",
    "voucher": "Bons papier / Papieren bonnen / Paper vouchers",
}


class StatementError(DomainError):
    """No such settlement or shop, or an unknown format."""

    code = "INVALID_STATEMENT"


def euros(cents: int) -> str:
    """``2340`` → ``23,40 €`` (Belgian format; thin groups of thousands with a dot)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{whole:,}".replace(",", ".") + f",{rest:02d} €"


def local_time(ts: int, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")


async def statement_data(
    storage: Storage, settlement_id: int, merchant_id: str
) -> tuple[Any, Any, list, str | None]:
    """(settlement, the shop's payout line, its items, the shop's language)."""
    async with storage.read() as q:
        settlement = await q.ledger.settlement(settlement_id)
        if settlement is None:
            raise StatementError(f"no settlement {settlement_id}")
        payout = next(
            (p for p in await q.ledger.payouts(settlement_id) if p["merchant_id"] == merchant_id),
            None,
        )
        if payout is None:
            raise StatementError(
                f"shop {merchant_id!r:.60} has no line in settlement {settlement_id}"
            )
        items = await q.ledger.items_of(settlement_id, merchant_id)
        shop = await q.merchant(merchant_id)
    return settlement, payout, items, None if shop is None else shop["language"]


def render(
    fmt: str,
    config: Config,
    settlement: Any,
    payout: Any,
    items: list,
    language: str | None = None,
) -> bytes:
    """The statement in ``fmt``: CSV for programs (fixed English columns), HTML and PDF
    for the shop, in its language."""
    if fmt == "pdf":
        from server.ledger.statement_pdf import render_pdf  # fpdf2 is loaded only for a PDF

        text = statement_text(config, settlement, payout, items, language)
        logo = logo_path(config) if config.data_dir is not None else None
        return render_pdf(text, settlement, logo)
    if fmt == "html":
        text = statement_text(config, settlement, payout, items, language)
        return pages.render("statement.html", text.language, t=text, s=settlement).encode()
    tz = ZoneInfo(config.timezone)
    rows = [
        {
            "date": local_time(i["scanned_at"], tz),
            "token_id": bytes(i["token_id"]).hex(),
            "amount": euros(i["amount_cents"]),
            "amount_cents": i["amount_cents"],
            "status": i["outcome"],
            "reference": payout["reference"],
            "kind": i["kind"],
        }
        for i in items
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    writer.writerow(
        {
            "date": "TOTAL",
            "token_id": f"{payout['payments']} payments",
            "amount": euros(payout["amount_cents"]),
            "amount_cents": payout["amount_cents"],
            "status": "paid",
            "reference": payout["reference"],
            "kind": "",
        }
    )
    return out.getvalue().encode("utf-8")


async def statement(
    storage: Storage, config: Config, *, settlement_id: int, merchant_id: str, fmt: str, now: int
) -> bytes:
    """The statement as issued: made and stored the first time, then always the same bytes."""
    if fmt not in FORMATS:
        raise StatementError(f"format must be one of {', '.join(FORMATS)}")
    async with storage.read() as q:
        stored = await q.ledger.document(settlement_id, merchant_id, fmt)
    if stored is not None:
        return bytes(stored["body"])
    body = render(fmt, config, *await statement_data(storage, settlement_id, merchant_id))
    async with storage.transaction() as q:
        await q.ledger.insert_document(
            settlement_id, merchant_id, fmt, now, hashlib.sha256(body).digest(), body
        )
        stored = await q.ledger.document(settlement_id, merchant_id, fmt)  # a concurrent issue won
    if stored is None:
        raise StatementError("the statement could not be stored")
    return bytes(stored["body"])


async def merchants_of(storage: Storage, settlement_id: int) -> list[str]:
    async with storage.read() as q:
        return [p["merchant_id"] for p in await q.ledger.payouts(settlement_id)]

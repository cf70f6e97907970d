"""What a shop's statement says, in the shop's language: one set of words for HTML and PDF.

``lines(...)`` turns a settlement's payout line and its items into plain,
translated text (the caisse by its display name, dates and amounts as the
shop's locale writes them, a short reference per payment instead of its
64-hex token id), so the HTML page and the PDF cannot say different things.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from server.banking import grouped
from server.config import Config
from server.languages import (
    DEFAULT,
    LANGUAGES,
    Formats,
    gettext_of,
    ngettext_of,
    translations,
)


def short_reference(token_id: bytes) -> str:
    """A payment's short reference: the first 8 hex digits of its token id, 'A1B2-C3D4'."""
    digits = token_id[:4].hex().upper()
    return f"{digits[:4]}-{digits[4:]}"


@dataclass(frozen=True, slots=True)
class Line:
    date: str
    time: str
    reference: str
    amount: str
    status: str


@dataclass(frozen=True, slots=True)
class StatementText:
    """Every word of one statement, already in its language."""

    language: str
    title: str
    parties: str  # "caisse → shop"
    caisse: str
    shop: str
    shop_id: str
    settlement: str
    transfer: str
    reference_label: str
    reference: str
    columns: tuple[str, str, str, str, str]
    lines: tuple[Line, ...]
    # the lines again, phone payments apart from paper vouchers: (heading, lines), none empty
    sections: tuple[tuple[str, tuple[Line, ...]], ...]
    total_label: str
    total: str
    withheld_label: str | None
    withheld: str | None
    withheld_note: str | None
    contact: str | None
    footer: str


def statement_text(
    config: Config, settlement: Any, payout: Any, items: list, language: str | None
) -> StatementText:
    language = language if language in LANGUAGES else DEFAULT
    catalogue = translations(language)
    _, ngettext = gettext_of(catalogue), ngettext_of(catalogue)
    fmt = Formats(language, config.timezone)
    tz = ZoneInfo(config.timezone)
    until = datetime.fromtimestamp(settlement["until_ts"], tz)
    until_text = f"{format_date(until, 'long', locale=fmt.locale)} " + format_time(
        until, "short", tzinfo=tz, locale=fmt.locale
    )
    statuses = {"paid": _("paid"), "withheld": _("withheld")}
    lines = []
    by_kind: dict[str, list[Line]] = {"payment": [], "voucher": []}
    for item in items:
        when = datetime.fromtimestamp(item["scanned_at"], tz)
        lines.append(
            Line(
                date=format_date(when, "medium", locale=fmt.locale),
                time=format_time(when, "short", tzinfo=tz, locale=fmt.locale),
                reference=short_reference(bytes(item["token_id"])),
                amount=fmt.money(item["amount_cents"]),
                status=statuses.get(item["outcome"], item["outcome"]),
            )
        )
        kind = item["kind"] if "kind" in item.keys() else "payment"  # noqa: SIM118 (rows)
        by_kind["voucher" if kind == "voucher" else "payment"].append(lines[-1])
    withheld = int(payout["withheld"] or 0)
    return StatementText(
        language=language,
        title=_("Payment statement"),
        parties=f"{config.display} → {payout['name']}",
        caisse=config.display,
        shop=payout["name"],
        shop_id=payout["merchant_id"],
        settlement=_(
            "Settlement n° %(n)s: payments up to %(until)s",
            n=settlement["settlement_id"],
            until=until_text,
        ),
        transfer=_(
            "Transfer of %(amount)s to the account %(iban)s",
            amount=fmt.money(payout["amount_cents"]),
            iban=grouped(payout["iban"]),
        ),
        reference_label=_("Reference of the transfer"),
        reference=payout["reference"],
        columns=(_("Date"), _("Time"), _("Payment"), _("Amount"), _("Status")),
        lines=tuple(lines),
        sections=tuple(
            (title, tuple(found))
            for title, found in (
                (_("Phone payments"), by_kind["payment"]),
                (_("Paper vouchers"), by_kind["voucher"]),
            )
            if found
        ),
        total_label=ngettext(
            "Total paid (%(num)s payment)", "Total paid (%(num)s payments)", payout["payments"]
        ),
        total=fmt.money(payout["amount_cents"]),
        withheld_label=ngettext(
            "Withheld (%(num)s payment)", "Withheld (%(num)s payments)", withheld
        )
        if withheld
        else None,
        withheld=fmt.money(payout["withheld_cents"]) if withheld else None,
        withheld_note=_(
            "Withheld payments conflict with a payment another shop accepted first; the "
            "caisse reviews them and may pay them in a later settlement."
        )
        if withheld
        else None,
        contact=_("Questions: %(contact)s", contact=config.contact) if config.contact else None,
        footer=_(
            "A payment's reference is the beginning of its number in the caisse's records: "
            "give it when you ask about a payment."
        ),
    )

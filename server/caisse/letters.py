"""Activation letters in bulk: one A4 page per member still to activate, in one PDF.

Each letter gives a *new* one-time code (``members.new_activation_code``: the
member's earlier codes stop working, so a reprinted letter replaces the old one),
its link and QR, and what a member needs on paper: the caisse's name, contact
and opening hours, the member's monthly allowance (and the part printed as
vouchers, for a member on both), how to pay the household's contribution
(amount, account and structured communication, from the contributions work),
and the list of approved shops. In the member's language (French, Dutch or
English), French when none is known.

The allowance shown is the member's share as it stands: the share fixed for the
month if there is one, else what the household's rule would give now; a letter
fixes nothing (only a credential or a voucher sheet does).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF

from server.caisse import allowance, channels, households, members
from server.caisse.allowance import Shape
from server.caisse.pdf_common import FONT, add_fonts, day, euros, month_name, short_date
from server.config import Config
from server.storage.core import MEMBER_ACTIVE, MEMBER_REVOKED, MERCHANT_ACTIVE, Queries

MAX_SHOPS_LISTED = 30
MAX_LETTERS = 5000


class LetterError(ValueError):
    """The letters cannot be made as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Letter:
    member_id: str
    name: str
    language: str
    code: str
    url: str
    code_expires: int
    period: str
    allowance_cents: int
    paper_cents: int
    channel: str
    contribution_cents: int | None
    reference: str | None
    shops: tuple[str, ...]


TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Votre portefeuille alimentaire sur téléphone",
        "hello": "Bonjour {name},",
        "allowance": "Chaque mois, la caisse vous donne {amount} pour vous nourrir ({month}).",
        "paper_part": "Dont {paper} en bons papier, à retirer à la permanence.",
        "steps": (
            "1. Scannez ce code QR avec l'appareil photo de votre téléphone, ou tapez "
            "l'adresse ci-dessous dans son navigateur.\n"
            "2. Le portefeuille s'ouvre et affiche votre montant. Ajoutez-le à l'écran "
            "d'accueil.\n"
            "3. À la caisse du commerce, tapez le montant et montrez le code QR."
        ),
        "code": "Code d'activation",
        "valid": "Ce code sert une seule fois, jusqu'au {date}. Il remplace les codes "
        "envoyés avant.",
        "contribution": "Votre cotisation",
        "contribution_amount": "Cotisation du ménage : {amount} par mois.",
        "contribution_free": "La cotisation se choisit avec la caisse, selon vos moyens.",
        "transfer": "Par virement au compte {iban} ({holder}), avec la communication "
        "structurée {reference}.",
        "cash": "Ou en liquide, à la permanence.",
        "shops": "Commerces agréés",
        "no_shops": "La liste des commerces est affichée à la permanence.",
        "more_shops": "… et {n} autres : liste complète à la permanence.",
        "contact": "Contact",
        "hours": "Permanence",
        "lost": "Téléphone perdu ? Prévenez la caisse : votre portefeuille sera bloqué et "
        "vous recevrez un nouveau code.",
    },
    "nl": {
        "title": "Uw voedselportefeuille op uw telefoon",
        "hello": "Beste {name},",
        "allowance": "Elke maand geeft de kas u {amount} voor voeding ({month}).",
        "paper_part": "Waarvan {paper} in papieren bonnen, af te halen bij de permanentie.",
        "steps": (
            "1. Scan deze QR-code met de camera van uw telefoon, of typ het adres hieronder "
            "in de browser.\n"
            "2. De portefeuille opent en toont uw bedrag. Zet hem op uw beginscherm.\n"
            "3. Typ aan de kassa van de winkel het bedrag en toon de QR-code."
        ),
        "code": "Activeringscode",
        "valid": "Deze code werkt één keer, tot {date}. Hij vervangt eerder verstuurde codes.",
        "contribution": "Uw bijdrage",
        "contribution_amount": "Bijdrage van het gezin: {amount} per maand.",
        "contribution_free": "De bijdrage kiest u samen met de kas, naar uw middelen.",
        "transfer": "Via overschrijving naar rekening {iban} ({holder}), met de "
        "gestructureerde mededeling {reference}.",
        "cash": "Of contant, bij de permanentie.",
        "shops": "Erkende winkels",
        "no_shops": "De lijst van winkels hangt uit bij de permanentie.",
        "more_shops": "… en {n} andere: volledige lijst bij de permanentie.",
        "contact": "Contact",
        "hours": "Permanentie",
        "lost": "Telefoon kwijt? Verwittig de kas: uw portefeuille wordt geblokkeerd en u "
        "krijgt een nieuwe code.",
    },
    "en": {
        "title": "Your food allowance wallet on your phone",
        "hello": "Hello {name},",
        "allowance": "Each month the caisse gives you {amount} for food ({month}).",
        "paper_part": "Of which {paper} as paper vouchers, to collect at the office.",
        "steps": (
            "1. Scan this QR code with your phone's camera, or type the address below in "
            "its browser.\n"
            "2. The wallet opens and shows your allowance. Add it to your home screen.\n"
            "3. At the shop's till, type the amount and show the QR code."
        ),
        "code": "Activation code",
        "valid": "This code works once, until {date}. It replaces any code sent before.",
        "contribution": "Your contribution",
        "contribution_amount": "Your household's contribution: {amount} a month.",
        "contribution_free": "You choose your contribution with the caisse, by your means.",
        "transfer": "By bank transfer to {iban} ({holder}), with the structured "
        "communication {reference}.",
        "cash": "Or in cash, at the office.",
        "shops": "Approved shops",
        "no_shops": "The list of shops is posted at the office.",
        "more_shops": "… and {n} more: the full list at the office.",
        "contact": "Contact",
        "hours": "Opening hours",
        "lost": "Lost your phone? Tell the caisse: your wallet will be blocked and you will "
        "get a new code.",
    },
}


async def preview_share(q: Queries, config: Config, member_id: str, period: str) -> int:
    """The member's share of ``period`` as it stands, without fixing anything."""
    if not config.allowance_rules:
        return config.allowance_cents
    fixed = await q.households.share(period, member_id)
    if fixed is not None:
        return fixed
    rule = await households.period_rule(q, config, period, fix=False, now=0)
    household_id = await q.households.member_household(member_id)
    if household_id is None:
        return allowance.household_allowance(rule, Shape(1, 0))
    if await q.households.household_shares(household_id, period):
        return 0  # joined after the month's shares were fixed: from next month
    row = await q.households.household(household_id)
    holders = [
        (h["member_id"], 1 if h["share_weight"] is None else int(h["share_weight"]))
        for h in await q.households.holders_of(household_id)
    ]
    if row is None or member_id not in {m for m, _ in holders}:
        return 0
    shape = Shape(int(row["adults"]), int(row["children"]))
    return allowance.shares(rule, shape, holders)[member_id]


async def _contribution(q: Queries, household_id: int | None, period: str) -> int | None:
    if household_id is None:
        return None
    owed = None
    for choice in await q.households.choices([household_id]):
        if choice["from_period"] <= period:
            owed = int(choice["monthly_cents"])
    return owed


async def activation_letters(
    q: Queries,
    config: Config,
    *,
    member_ids: Sequence[str] | None,
    period: str,
    actor: str | None,
    now: int,
) -> list[Letter]:
    """A letter (with a new code) for each named member, else each still to activate."""
    rows = await q.vouchers.letter_members(member_ids)
    if member_ids is not None:
        found = {r["member_id"] for r in rows}
        missing = sorted(set(member_ids) - found)
        if missing:
            raise LetterError(f"no member {missing[0]!r:.40}")
    if len(rows) > MAX_LETTERS:
        raise LetterError(f"more than {MAX_LETTERS} letters: print them by member")
    shops = tuple(
        m["name"]
        for m in sorted(await q.merchants(), key=lambda m: m["name"].casefold())
        if m["status"] == MERCHANT_ACTIVE
    )
    out = []
    for row in rows:
        member_id = row["member_id"]
        if row["status"] == MEMBER_REVOKED:
            raise LetterError(f"member {member_id} is revoked")
        if row["status"] == MEMBER_ACTIVE:
            raise LetterError(
                f"member {member_id} has activated a wallet: a lost phone is 'member reenrol'"
            )
        channel = channels.of_row(row)
        if channel.channel == channels.PAPER:
            raise LetterError(f"member {member_id} uses paper vouchers only: no wallet to activate")
        code = await members.new_activation_code(q, config, member_id, now)
        share = await preview_share(q, config, member_id, period)
        household_id = row["household_id"]
        reference = None
        if household_id is not None:
            hh = await q.households.household(int(household_id))
            reference = households.format_reference(hh["reference"]) if hh else None
        language = row["language"] if row["language"] in TEXTS else "fr"
        out.append(
            Letter(
                member_id=member_id,
                name=row["name"],
                language=language,
                code=code.activation_code,
                url=code.activation_url,
                code_expires=now + config.code_ttl_s,
                period=period,
                allowance_cents=share,
                paper_cents=channels.paper_target(channel, share),
                channel=channel.channel,
                contribution_cents=await _contribution(
                    q, None if household_id is None else int(household_id), period
                ),
                reference=reference,
                shops=shops,
            )
        )
        await q.console.append_audit(
            actor=actor,
            action="member.letter",
            target=member_id,
            detail={"period": period, "earlier_codes": "cancelled"},
            now=now,
        )
    return out


# -- the PDF ----------------------------------------------------------------------------


def render_letters(config: Config, letters: Sequence[Letter], *, printed_at: int) -> bytes:
    tz = ZoneInfo(config.timezone)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margins(20, 15, 20)
    add_fonts(pdf)
    pdf.set_creation_date(datetime.fromtimestamp(printed_at, UTC))
    pdf.set_title("Lettres d'activation / Activeringsbrieven")
    pdf.set_author(config.caisse_name or config.caisse)
    for letter in letters:
        _page(pdf, config, letter, tz, printed_at)
    if not letters:
        pdf.add_page()
        pdf.set_font(FONT, "", 12)
        pdf.cell(0, 8, "Aucune lettre / Geen brieven / No letters")
    return bytes(pdf.output())


def _page(pdf: FPDF, config: Config, letter: Letter, tz: ZoneInfo, printed_at: int) -> None:
    t = TEXTS[letter.language]
    lang = letter.language
    pdf.add_page()
    width = 170.0

    def para(text: str, size: float = 10.5, style: str = "", height: float = 5.2) -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(width, height, text, align="L", new_x="LMARGIN", new_y="NEXT")

    pdf.set_xy(20, 15)
    para(config.caisse_name or config.caisse, 15, "B", 7)
    if config.caisse_contact:
        para(f"{t['contact']} : {config.caisse_contact}", 9, "", 4.6)
    if config.caisse_hours:
        para(f"{t['hours']} : {config.caisse_hours}", 9, "", 4.6)
    pdf.ln(2)
    para(short_date(day(printed_at, tz)), 9)
    pdf.ln(4)
    para(t["title"], 14, "B", 7)
    pdf.ln(2)
    para(t["hello"].format(name=letter.name), 11)
    pdf.ln(1)
    para(
        t["allowance"].format(
            amount=euros(letter.allowance_cents, lang), month=month_name(letter.period, lang)
        )
    )
    if letter.channel == channels.BOTH and letter.paper_cents:
        para(t["paper_part"].format(paper=euros(letter.paper_cents, lang)))
    pdf.ln(2)
    para(t["steps"])
    pdf.ln(3)
    # the code: QR of the link, the code in large type, the link itself
    top = pdf.get_y()
    pdf.set_draw_color(0)
    pdf.set_line_width(0.3)
    pdf.rect(20, top, width, 52)
    symbol = segno.make_qr(letter.url, error="m")
    pdf.image(_qr_png(symbol), x=24, y=top + 4, w=44, h=44)
    pdf.set_xy(74, top + 6)
    pdf.set_font(FONT, "", 9)
    pdf.cell(90, 5, t["code"])
    pdf.set_xy(74, top + 12)
    pdf.set_font(FONT, "B", 17)
    pdf.cell(92, 10, letter.code)
    pdf.set_xy(74, top + 25)
    pdf.set_font(FONT, "", 8)
    pdf.multi_cell(92, 4, letter.url, align="L")
    pdf.set_xy(74, top + 38)
    pdf.set_font(FONT, "", 8.5)
    expires = short_date(day(letter.code_expires, tz))
    pdf.multi_cell(92, 4.2, t["valid"].format(date=expires), align="L")
    pdf.set_xy(20, top + 56)
    # the contribution
    para(t["contribution"], 12, "B", 6.5)
    if letter.contribution_cents is not None:
        para(t["contribution_amount"].format(amount=euros(letter.contribution_cents, lang)))
    else:
        para(t["contribution_free"])
    if config.sepa_debtor_iban and letter.reference:
        holder = config.sepa_debtor_name or config.caisse_name or config.caisse
        para(
            t["transfer"].format(
                iban=_iban(config.sepa_debtor_iban), holder=holder, reference=letter.reference
            )
        )
    para(t["cash"])
    pdf.ln(2)
    # the shops, in two columns
    para(t["shops"], 12, "B", 6.5)
    pdf.set_font(FONT, "", 9)
    if not letter.shops:
        para(t["no_shops"], 9)
    listed = letter.shops[:MAX_SHOPS_LISTED]
    half = -(-len(listed) // 2)
    y0 = pdf.get_y()
    for i, name in enumerate(listed):
        col, row = divmod(i, half) if half else (0, i)
        pdf.set_xy(20 + col * 85, y0 + row * 4.4)
        pdf.cell(84, 4.4, f"• {name}"[:60])
    pdf.set_xy(20, y0 + half * 4.4 + 1)
    if len(letter.shops) > len(listed):
        para(t["more_shops"].format(n=len(letter.shops) - len(listed)), 9)
    pdf.set_xy(20, 277)
    para(t["lost"], 8, "", 4)


def _qr_png(symbol: Any) -> io.BytesIO:
    buffer = io.BytesIO()
    symbol.save(buffer, kind="png", scale=1, border=4)
    buffer.seek(0)
    return buffer


def _iban(iban: str) -> str:
    compact = iban.replace(" ", "").upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


__all__ = ["Letter", "LetterError", "activation_letters", "preview_share", "render_letters"]

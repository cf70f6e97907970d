"""The transfer a household makes: the caisse's account, the amount, the structured
communication, and the EPC QR code (EPC069-12 "SEPA credit transfer" QR) that Belgian
banking apps read.

Pure: ``epc_payload`` writes the twelve lines of the standard (service tag ``BCD``,
version ``002`` so the BIC may be left out, character set ``1`` = UTF-8, ``SCT``, BIC,
beneficiary, IBAN, ``EUR`` amount, purpose, structured reference, text); the
Belgian structured communication goes, as its 12 digits, in the structured
remittance line. The beneficiary's name is written in ASCII so any QR library (the
wallet's included) encodes the same bytes without an ECI header. ``epc_svg`` draws it
with segno at error correction level M (EPC069-12 asks for M; version 13 at most).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import segno
from text_unidecode import unidecode

MAX_CENTS = 99_999_999_999


class TransferError(ValueError):
    """The caisse's account is not configured, or the transfer cannot be written."""


@dataclass(frozen=True, slots=True)
class Transfer:
    beneficiary: str
    iban: str
    bic: str | None
    amount_cents: int | None
    reference: str  # 12 digits
    reference_text: str  # +++123/4567/89012+++

    def to_json(self) -> dict[str, Any]:
        return {
            "beneficiary": self.beneficiary,
            "iban": self.iban,
            "bic": self.bic,
            "amount_cents": self.amount_cents,
            "reference": self.reference_text,
            "epc_qr": epc_payload(self),
        }


def transfer(
    *, name: str | None, iban: str | None, bic: str | None, amount_cents: int | None, digits: str
) -> Transfer:
    if not name or not iban:
        raise TransferError("set sepa_debtor_name and sepa_debtor_iban (the caisse's account)")
    formatted = f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"
    return Transfer(
        name,
        iban.replace(" ", "").upper(),
        (bic or "").replace(" ", "").upper() or None,
        amount_cents,
        digits,
        formatted,
    )


def epc_payload(t: Transfer) -> str:
    """The EPC069-12 text (lines joined by LF); no amount line value when none is due."""
    if t.amount_cents is not None and not 1 <= t.amount_cents <= MAX_CENTS:
        raise TransferError("an EPC QR amount is 0.01 to 999999999.99 euros")
    amount = ""
    if t.amount_cents is not None:
        amount = f"EUR{t.amount_cents // 100}.{t.amount_cents % 100:02d}"
    name = unidecode(t.beneficiary).strip()[:70]
    lines = ["BCD", "002", "1", "SCT", t.bic or "", name, t.iban, amount, "", t.reference, ""]
    return "\n".join(lines).rstrip("\n")


def epc_svg(t: Transfer, *, title: str = "", scale: int = 4) -> str:
    qr = segno.make_qr(epc_payload(t), error="m", boost_error=False)
    if not isinstance(qr.version, int) or qr.version > 13:  # the fields keep it far below
        raise TransferError("EPC QR codes are version 13 at most")
    return qr.svg_inline(scale=scale, title=title or None, border=4)

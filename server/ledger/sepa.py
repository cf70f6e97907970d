"""SEPA credit transfers (pain.001) paying the shops of one settlement, with sepaxml.

One transfer per shop with a positive payout; names and remittance text are
reduced to the EPC basic Latin set every bank accepts; the remittance information, in
the shop's language, names the caisse, the settlement, the number of payments
and the transfer reference so the shop can match it with its statement; the debtor
is the caisse's own account from ``config.json``. The file is validated
against the ISO 20022 XSD that sepaxml ships, stored the first time it is
issued, and the same bytes (same MsgId, so a bank refuses a double upload) are
returned on every later export of that settlement.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sepaxml
from sepaxml import SepaTransfer

from server.config import Config
from server.errors import DomainError
from server.languages import DEFAULT, LANGUAGES, ngettext_of, translations
from server.storage.core import Storage

SEPA_KEY = ""  # issued_documents.merchant_id of a settlement's SEPA file
SCHEMAS_DIR = Path(sepaxml.__file__).resolve().parent / "schemas"


class SepaError(DomainError):
    """No settlement to pay, or the caisse's bank account is not configured."""

    code = "CANNOT_PAY"


@dataclass(frozen=True, slots=True)
class SepaExport:
    settlement_id: int
    msg_id: str
    schema: str
    transactions: int
    control_sum_cents: int
    body: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "settlement_id": self.settlement_id,
            "msg_id": self.msg_id,
            "schema": self.schema,
            "transactions": self.transactions,
            "control_sum_cents": self.control_sum_cents,
            "sha256": hashlib.sha256(self.body).hexdigest(),
        }


class _Transfer(SepaTransfer):
    """sepaxml's transfer with a MsgId fixed per settlement instead of a random one."""

    def __init__(self, config: dict, schema: str, msg_id: str) -> None:
        self._fixed_msg_id = msg_id
        super().__init__(config, schema=schema)

    def _create_header(self) -> None:
        self.msg_id = self._fixed_msg_id
        super()._create_header()


# The EPC's basic Latin character set for SEPA (EPC217-08): what every bank accepts.
_EPC = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")


_SPELLED = str.maketrans(
    {"&": "+", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O"}
)


def epc_text(text: str, max_len: int) -> str:
    """``text`` in the EPC basic Latin set: accents dropped (é → e), & → +, ß → ss …,
    any other character a space; spaces collapsed; at most ``max_len`` characters."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELLED))
    kept = "".join(c if c in _EPC else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.split())[:max_len].strip() or "-"


def msg_id(config: Config, settlement_id: int) -> str:
    caisse = hashlib.sha256(config.caisse.encode()).hexdigest()[:8].upper()
    return f"SSA-{caisse}-S{settlement_id}"


# What the SEPA "Latin" character set allows in a transfer's text (EPC guidance);
# anything else is folded (accents) or becomes a space, so no bank mangles it.
SEPA_TEXT = re.compile(r"[^A-Za-z0-9/?:().,'+ -]")


def remittance(config: Config, settlement: Any, payout: Any, language: str | None = None) -> str:
    """The text the shop reads on its bank statement, in its language (at most 140 characters)."""
    catalogue = translations(language if language in LANGUAGES else DEFAULT)
    until = datetime.fromtimestamp(settlement["until_ts"], ZoneInfo(config.timezone)).date()
    ngettext = ngettext_of(catalogue)
    text = ngettext(
        "%(caisse)s settlement %(settlement)s to %(until)s, %(num)s payment, %(reference)s",
        "%(caisse)s settlement %(settlement)s to %(until)s, %(num)s payments, %(reference)s",
        int(payout["payments"]),
        caisse=config.display,
        settlement=settlement["settlement_id"],
        until=until.strftime("%d/%m/%Y"),
        reference=payout["reference"],
    )
    return epc_text(text, 140)


def build(
    config: Config,
    settlement: Any,
    payouts: list,
    execution_date: date,
    languages: dict[str, str | None] | None = None,
) -> tuple[bytes, int, int]:
    """(XML, transactions, control sum in cents); sepaxml validates it against the XSD.

    ``languages``: each shop's language (merchant id → code), for its transfer's text.
    """
    if not (config.sepa_debtor_name and config.sepa_debtor_iban):
        raise SepaError(
            "set sepa_debtor_name, sepa_debtor_iban (and sepa_debtor_bic) in config.json"
        )
    debtor: dict[str, Any] = {
        "name": epc_text(config.sepa_debtor_name, 70),
        "IBAN": config.sepa_debtor_iban.replace(" ", "").upper(),
        "batch": True,
        "currency": "EUR",
    }
    if config.sepa_debtor_bic:
        debtor["BIC"] = config.sepa_debtor_bic.replace(" ", "").upper()
    transfer = _Transfer(debtor, config.sepa_schema, msg_id(config, settlement["settlement_id"]))
    shop_language = languages or {}
    count = total = 0
    for p in payouts:
        if p["amount_cents"] <= 0:
            continue
        payment: dict[str, Any] = {
            "name": epc_text(p["name"], 70) or p["merchant_id"],
            "IBAN": p["iban"].replace(" ", "").upper(),
            "amount": int(p["amount_cents"]),
            "execution_date": execution_date,
            "description": remittance(config, settlement, p, shop_language.get(p["merchant_id"])),
            "endtoend_id": p["reference"],
        }
        if p["bic"]:
            payment["BIC"] = p["bic"]
        transfer.add_payment(payment)
        count += 1
        total += int(p["amount_cents"])
    if not count:
        raise SepaError(f"settlement {settlement['settlement_id']} has nothing to pay")
    return transfer.export(validate=True), count, total


async def export_sepa(
    storage: Storage,
    config: Config,
    *,
    now: int,
    settlement_id: int | None = None,
    execution_date: date | None = None,
) -> SepaExport:
    """The pain.001 file of a settlement (the latest by default), as first issued."""
    async with storage.read() as q:
        settlement = await q.ledger.settlement(settlement_id)
        if settlement is None:
            raise SepaError(
                "no settlement yet: run reconcile first"
                if settlement_id is None
                else f"no settlement {settlement_id}"
            )
        sid = settlement["settlement_id"]
        stored = await q.ledger.document(sid, SEPA_KEY, "sepa")
        payouts = await q.ledger.payouts(sid)
        languages = {m["merchant_id"]: m["language"] for m in await q.merchants()}
    payable = [p for p in payouts if p["amount_cents"] > 0]
    count, total = len(payable), sum(int(p["amount_cents"]) for p in payable)
    if stored is None:
        day = execution_date or datetime.fromtimestamp(now, ZoneInfo(config.timezone)).date()
        body, count, total = build(config, settlement, payouts, day, languages)
        async with storage.transaction() as q:
            digest = hashlib.sha256(body).digest()
            await q.ledger.insert_document(sid, SEPA_KEY, "sepa", now, digest, body)
            stored = await q.ledger.document(sid, SEPA_KEY, "sepa")
    if stored is None:
        raise SepaError("the SEPA file could not be stored")
    body = bytes(stored["body"])
    schema = "pain.001.001.09" if b"pain.001.001.09" in body[:400] else "pain.001.001.03"
    return SepaExport(sid, msg_id(config, sid), schema, count, total, body)

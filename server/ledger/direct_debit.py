"""SEPA Core direct debits of contributions: mandates, and pain.008 files with sepaxml.

A household signs a mandate (``add_mandate``: its unique mandate reference, the
debtor's IBAN, the date of signature); a new mandate replaces the old one. The
caisse's creditor identifier (``sepa_creditor_id``) is checked with python-stdnum.

``debit`` collects, for the month of the collection date, what each household
with an active mandate still owes for that month, as the SEPA Core rulebook asks:

- a mandate's first collection is ``FRST``, later ones ``RCUR`` (a collection that
  was returned does not count as the first);
- the debtor is told the amount and date at least ``sepa_prenotice_days`` (14)
  days before: a first collection, or an amount that changed since the last one,
  whose notice (the mandate's signature, the household's choice of amount) is more
  recent than that is deferred to a later file, and listed as such;
- a month already collected (and not returned) is not collected again;
- a mandate unused for 36 months has lapsed and is skipped.

The file is validated against the pain.008 XSD that sepaxml ships (``.001.02``
when the caisse has a BIC, else ``.001.08``) and stored as issued.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sepaxml import SepaDD
from stdnum import bic as bic_mod
from stdnum import iban as iban_mod

from server.caisse import dues
from server.caisse.households import format_reference
from server.config import Config
from server.storage.core import Queries, Storage

LAPSE_DAYS = 36 * 31
MAX_NAME = 70
NAME_OK = re.compile(r"^[^\x00-\x1f]{1,70}$")


class DirectDebitError(ValueError):
    """A mandate or a collection cannot be made; the message says why."""


@dataclass(frozen=True, slots=True)
class Mandate:
    mandate_id: str
    household_id: int
    iban: str
    signed_on: str
    replaced: int

    def to_json(self) -> dict[str, Any]:
        return {
            "mandate_id": self.mandate_id,
            "household_id": self.household_id,
            "iban": self.iban,
            "signed_on": self.signed_on,
            "replaced": self.replaced,
        }


@dataclass(frozen=True, slots=True)
class DebitFile:
    msg_id: str
    schema: str
    collection_date: str
    transactions: int
    control_sum_cents: int
    first: int
    recurring: int
    deferred: tuple[dict[str, Any], ...]
    body: bytes

    def to_json(self, file: str) -> dict[str, Any]:
        return {
            "file": file,
            "msg_id": self.msg_id,
            "schema": self.schema,
            "collection_date": self.collection_date,
            "transactions": self.transactions,
            "control_sum_cents": self.control_sum_cents,
            "frst": self.first,
            "rcur": self.recurring,
            "deferred": list(self.deferred),
        }


def _date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise DirectDebitError(f"{what} must be a date YYYY-MM-DD, not {text!r:.20}") from None


async def add_mandate(
    q: Queries,
    config: Config,
    *,
    household_id: int,
    iban: str,
    bic: str | None,
    debtor_name: str,
    signed_on: str,
    today: date,
    actor: str,
    now: int,
) -> Mandate:
    if await q.households.household(household_id) is None:
        raise DirectDebitError(f"no household {household_id}")
    clean = iban_mod.compact(iban or "")
    if not iban_mod.is_valid(clean):
        raise DirectDebitError(f"{iban!r:.40} is not a valid IBAN")
    if bic and not bic_mod.is_valid(bic):
        raise DirectDebitError(f"{bic!r:.20} is not a valid BIC")
    if not isinstance(debtor_name, str) or not NAME_OK.match(debtor_name.strip() or "\x00"):
        raise DirectDebitError(f"the debtor's name is 1 to {MAX_NAME} characters")
    signed = _date(signed_on, "--signed-on")
    if signed > today:
        raise DirectDebitError("a mandate cannot be signed in the future")
    await q.households.lock()
    replaced = await q.contributions.revoke_mandates_of(household_id, now)
    number = await q.contributions.count_mandates(household_id) + 1
    mandate_id = f"SSA{household_id:07d}M{number}"
    await q.contributions.insert_mandate(
        mandate_id,
        household_id,
        clean,
        bic_mod.compact(bic) if bic else None,
        debtor_name.strip(),
        signed.isoformat(),
        now,
    )
    await q.contributions.add_iban(clean, household_id)
    await q.console.append_audit(
        actor=actor,
        action="mandate.add",
        target=mandate_id,
        detail={
            "household_id": household_id,
            "signed_on": signed.isoformat(),
            "replaced": replaced,
        },
        now=now,
    )
    return Mandate(mandate_id, household_id, clean, signed.isoformat(), replaced)


class _Debit(SepaDD):
    """sepaxml's direct debit with a MsgId chosen by the caisse (one per file, stored)."""

    def __init__(self, config: dict, schema: str, msg_id: str) -> None:
        self._fixed_msg_id = msg_id
        super().__init__(config, schema=schema)

    def _create_header(self) -> None:
        self.msg_id = self._fixed_msg_id
        super()._create_header()


def _creditor(config: Config) -> tuple[dict[str, Any], str]:
    if not (config.sepa_debtor_name and config.sepa_debtor_iban and config.sepa_creditor_id):
        raise DirectDebitError(
            "set sepa_debtor_name, sepa_debtor_iban (the caisse's account) and "
            "sepa_creditor_id in config.json"
        )
    creditor: dict[str, Any] = {
        "name": config.sepa_debtor_name,
        "IBAN": config.sepa_debtor_iban.replace(" ", "").upper(),
        "batch": True,
        "creditor_id": config.sepa_creditor_id.replace(" ", "").upper(),
        "currency": "EUR",
    }
    if config.sepa_debtor_bic:
        creditor["BIC"] = config.sepa_debtor_bic.replace(" ", "").upper()
        return creditor, "pain.008.001.02"
    return creditor, "pain.008.001.08"


async def debit(
    storage: Storage, config: Config, *, collection_date: str, actor: str, now: int
) -> DebitFile:
    """The pain.008 of the month of ``collection_date`` (see the module's rules)."""
    creditor, schema = _creditor(config)
    tz = ZoneInfo(config.timezone)
    today = datetime.fromtimestamp(now, tz).date()
    when = _date(collection_date, "--collection-date")
    if when <= today:
        raise DirectDebitError("the collection date must be after today (D-1 for SEPA Core)")
    period = when.strftime("%Y-%m")
    current = today.strftime("%Y-%m")
    async with storage.transaction() as q:
        await q.households.lock()
        mandates = await q.contributions.active_mandates()
        history: dict[str, list[Any]] = {}
        for row in await q.contributions.debits_of_mandates():
            history.setdefault(row["mandate_id"], []).append(row)
        ids = [int(m["household_id"]) for m in mandates]
        owed = {
            line.household_id: line
            for line in await dues.status(q, current_period=current, period=period)
            if line.household_id in set(ids)
        }
        choices: dict[int, Any] = {}
        for row in await q.households.choices(ids) if ids else []:
            if row["from_period"] <= period:
                choices[int(row["household_id"])] = row
        number = await q.contributions.count_debit_files() + 1
        msg_id = f"SSA-DD-{when.strftime('%Y%m%d')}-{number}"
        transfer = _Debit(dict(creditor), schema, msg_id)
        rows, deferred = [], []
        first = recurring = total = 0
        for m in mandates:
            hid = int(m["household_id"])
            line = owed.get(hid)
            amount = 0 if line is None else line.due_cents - line.paid_cents
            past = [d for d in history.get(m["mandate_id"], []) if d["returned_at"] is None]
            if amount <= 0 or any(d["period"] == period for d in past):
                continue
            if past and (when - date.fromisoformat(past[-1]["collection_date"])).days > LAPSE_DAYS:
                deferred.append({"household_id": hid, "reason": "mandate lapsed (36 months)"})
                continue
            sequence = "RCUR" if past else "FRST"
            changed = not past or int(past[-1]["amount_cents"]) != amount
            notice = date.fromisoformat(m["signed_on"])
            if hid in choices:
                chosen = datetime.fromtimestamp(int(choices[hid]["set_at"]), tz).date()
                notice = max(notice, chosen)
            if changed and (when - notice).days < config.sepa_prenotice_days:
                deferred.append(
                    {
                        "household_id": hid,
                        "reason": f"amount told less than "
                        f"{config.sepa_prenotice_days} days before the collection",
                    }
                )
                continue
            household = await q.households.household(hid)
            if household is None:
                continue
            e2e = f"SSA-{hid}-{period}-{len(history.get(m['mandate_id'], [])) + 1}"
            payment: dict[str, Any] = {
                "name": m["debtor_name"],
                "IBAN": m["iban"],
                "amount": amount,
                "type": sequence,
                "collection_date": when,
                "mandate_id": m["mandate_id"],
                "mandate_date": date.fromisoformat(m["signed_on"]),
                "description": f"SSA {period} {format_reference(household['reference'])}",
                "endtoend_id": e2e,
            }
            if m["bic"]:
                payment["BIC"] = m["bic"]
            transfer.add_payment(payment)
            rows.append(
                (e2e, msg_id, m["mandate_id"], hid, period, amount, sequence, when.isoformat(), now)
            )
            first += sequence == "FRST"
            recurring += sequence == "RCUR"
            total += amount
        if not rows:
            raise DirectDebitError(
                f"nothing to collect for {period}"
                + (f" ({len(deferred)} deferred: see the notice rule)" if deferred else "")
            )
        body = transfer.export(validate=True)
        await q.contributions.insert_debits(rows)
        await q.contributions.insert_debit_file(
            msg_id, when.isoformat(), len(rows), total, hashlib.sha256(body).digest(), body, now
        )
        await q.console.append_audit(
            actor=actor,
            action="contribution.debit",
            target=msg_id,
            detail={"transactions": len(rows), "control_sum_cents": total, "period": period},
            now=now,
        )
    return DebitFile(
        msg_id, schema, when.isoformat(), len(rows), total, first, recurring, tuple(deferred), body
    )

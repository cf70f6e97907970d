"""SEPA direct debits: mandates, pain.008 valid against its XSD, FRST then RCUR, the notice rule."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import xmlschema

from server.caisse import dues, households
from server.config import Config, ConfigError, from_json
from server.ledger import direct_debit
from server.ledger.direct_debit import DirectDebitError
from server.ledger.sepa import SCHEMAS_DIR

from .conftest import Harness, make_caisse

pytestmark = pytest.mark.anyio
TZ = ZoneInfo("Europe/Brussels")
CREDITOR_ID = ".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
SEPA = dict(
    sepa_debtor_name="SSA Bruxelles",
    sepa_debtor_iban="BE62510007547061",
    sepa_debtor_bic="GEBABEBB",
    sepa_creditor_id="BE69ZZZ050D000000008",
    contribution_schemes=[{"from": "2020-01", "kind": "free", "floor_household_cents": 500}],
)


@pytest.fixture
async def money(tmp_path, backend, key_material, clock):
    cfg = await make_caisse(tmp_path / "data", backend, key_material, int(clock()), **SEPA)
    harness = await Harness(cfg, backend, key_material, clock).start()
    try:
        yield harness
    finally:
        await harness.stop()


def today(api: Harness) -> date:
    return datetime.fromtimestamp(api.now, TZ).date()


async def with_mandate(api: Harness, cents: int, iban: str, *, chosen_days_ago: int) -> int:
    month = today(api).strftime("%Y-%m")
    async with api.ctx.storage.transaction() as q:
        house = await households.add_household(q, api.cfg, adults=1, period=month, now=api.now)
        hid = house.household_id
        await dues.set_contribution(
            q,
            api.cfg,
            hid,
            monthly_cents=cents,
            current_period=month,
            actor="test",
            now=api.now - chosen_days_ago * 86400,
        )
        mandate = await direct_debit.add_mandate(
            q,
            api.cfg,
            household_id=hid,
            iban=iban,
            bic=None,
            debtor_name="Élise Dupont-Lefèvre",
            signed_on=(today(api) - timedelta(days=30)).isoformat(),
            today=today(api),
            actor="test",
            now=api.now,
        )
    assert mandate.mandate_id == f"SSA{hid:07d}M1"
    return hid


def transactions(body: bytes) -> list[dict]:
    root = ET.fromstring(body)
    out = []
    for info in root.iterfind(".//p:PmtInf", NS):
        for tx in info.iterfind("p:DrctDbtTxInf", NS):
            out.append(
                {
                    "seq": info.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS),
                    "date": info.findtext("p:ReqdColltnDt", namespaces=NS),
                    "mandate": tx.findtext(".//p:MndtId", namespaces=NS),
                    "amount": tx.findtext("p:InstdAmt", namespaces=NS),
                    "e2e": tx.findtext(".//p:EndToEndId", namespaces=NS),
                    "creditor": info.findtext(CREDITOR_ID, namespaces=NS),
                }
            )
    return out


async def test_pain008_first_then_recurring_valid_against_its_xsd(money):
    api = money
    old = await with_mandate(api, 1500, "BE38096765432172", chosen_days_ago=30)
    new = await with_mandate(api, 2000, "BE43068999999501", chosen_days_ago=0)
    soon = today(api) + timedelta(days=3)
    first = await direct_debit.debit(
        api.ctx.storage, api.cfg, collection_date=soon.isoformat(), actor="t", now=api.now
    )
    xmlschema.XMLSchema(str(SCHEMAS_DIR / "pain.008.001.02.xsd")).validate(first.body.decode())
    assert (first.schema, first.transactions, first.control_sum_cents) == (
        "pain.008.001.02",
        1,
        1500,
    )
    # The new household's amount was told today: less than 14 days before the collection.
    assert [d["household_id"] for d in first.deferred] == [new]
    (tx,) = transactions(first.body)
    assert tx["seq"] == "FRST" and tx["amount"] == "15.00" and tx["date"] == soon.isoformat()
    assert tx["mandate"] == f"SSA{old:07d}M1" and tx["creditor"] == "BE69ZZZ050D000000008"
    # The same month is not collected twice.
    with pytest.raises(DirectDebitError, match="nothing to collect"):
        await direct_debit.debit(
            api.ctx.storage, api.cfg, collection_date=soon.isoformat(), actor="t", now=api.now
        )
    # Next month: the old mandate recurs, the new one makes its first debit.
    later = (soon.replace(day=1) + timedelta(days=32)).replace(day=3)
    second = await direct_debit.debit(
        api.ctx.storage, api.cfg, collection_date=later.isoformat(), actor="t", now=api.now
    )
    xmlschema.XMLSchema(str(SCHEMAS_DIR / "pain.008.001.02.xsd")).validate(second.body.decode())
    seqs = {t["mandate"]: t["seq"] for t in transactions(second.body)}
    assert seqs == {f"SSA{old:07d}M1": "RCUR", f"SSA{new:07d}M1": "FRST"}
    assert second.control_sum_cents == 3500 and second.msg_id != first.msg_id
    # A returned first debit: the next collection is a first one again.
    async with api.ctx.storage.transaction() as q:
        e2e = [d for d in await q.contributions.debits_of_mandates() if d["household_id"] == new]
        await q.contributions.mark_returned(e2e[0]["end_to_end_id"], "AC04", api.now)
    third_day = (later.replace(day=1) + timedelta(days=32)).replace(day=3)
    third = await direct_debit.debit(
        api.ctx.storage, api.cfg, collection_date=third_day.isoformat(), actor="t", now=api.now
    )
    seqs = {t["mandate"]: t["seq"] for t in transactions(third.body)}
    assert seqs == {f"SSA{old:07d}M1": "RCUR", f"SSA{new:07d}M1": "FRST"}


async def test_a_mandate_needs_a_valid_iban_and_a_past_signature(money):
    api = money
    async with api.ctx.storage.transaction() as q:
        house = await households.add_household(q, api.cfg, adults=1, period="2026-01", now=api.now)
        kwargs = dict(
            household_id=house.household_id,
            bic=None,
            debtor_name="X",
            today=today(api),
            actor="t",
            now=api.now,
        )
        with pytest.raises(DirectDebitError, match="not a valid IBAN"):
            await direct_debit.add_mandate(
                q, api.cfg, iban="BE00123", signed_on="2026-01-01", **kwargs
            )
        with pytest.raises(DirectDebitError, match="future"):
            tomorrow = (today(api) + timedelta(days=1)).isoformat()
            await direct_debit.add_mandate(
                q, api.cfg, iban="BE38096765432172", signed_on=tomorrow, **kwargs
            )
        with pytest.raises(DirectDebitError, match="no household"):
            await direct_debit.add_mandate(
                q,
                api.cfg,
                iban="BE38096765432172",
                signed_on="2026-01-01",
                **{**kwargs, "household_id": 9999},
            )
    with pytest.raises(DirectDebitError, match="after today"):
        await direct_debit.debit(
            api.ctx.storage, api.cfg, collection_date=today(api).isoformat(), actor="t", now=api.now
        )


def test_the_creditor_identifier_is_checked(tmp_path):
    base = Config(data_dir=tmp_path, caisse="be-test").to_json()
    with pytest.raises(ConfigError, match="creditor identifier"):
        from_json(tmp_path, {**base, "sepa_creditor_id": "BE68ZZZ050D000000008"})
    assert from_json(tmp_path, {**base, "sepa_creditor_id": "BE69ZZZ050D000000008"})

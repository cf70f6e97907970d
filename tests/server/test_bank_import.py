"""Bank statements imported and matched: CODA and camt.053, returns, unknown references,
overpayments, a statement twice and overlapping statements — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from coda.parser import Parser as PycodaParser
from hypothesis import given
from hypothesis import strategies as st
from pycamt.parser import Camt053Parser
from stdnum.be import ogm_vcs

from server.caisse import dues, households
from server.ledger import bank_files, bank_import, direct_debit
from server.ledger.bank_files import BankFileError

from .bank_statements import Move, camt053, coda
from .conftest import Harness, make_caisse

pytestmark = pytest.mark.anyio
TZ = ZoneInfo("Europe/Brussels")
CAISSE_IBAN = "BE62510007547061"
ADA_IBAN, BOB_IBAN, CYD_IBAN = "BE38096765432172", "BE43068999999501", "BE93001000008867"
SCHEME = {"from": "2020-01", "kind": "free", "floor_household_cents": 500}
SEPA = dict(
    sepa_debtor_name="SSA Bruxelles",
    sepa_debtor_iban=CAISSE_IBAN,
    sepa_debtor_bic="BBRUBEBB",
    sepa_creditor_id="BE69ZZZ050D000000008",
    contribution_schemes=[SCHEME],
    sepa_prenotice_days=0,  # the notice rule has its own test (test_direct_debit.py)
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


def month(api: Harness) -> str:
    return today(api).strftime("%Y-%m")


async def household(api: Harness, monthly_cents: int) -> households.Household:
    async with api.ctx.storage.transaction() as q:
        house = await households.add_household(q, api.cfg, adults=1, period=month(api), now=api.now)
        await dues.set_contribution(
            q,
            api.cfg,
            house.household_id,
            monthly_cents=monthly_cents,
            current_period=month(api),
            actor="test",
            now=api.now,
        )
    return house


def digits(house: households.Household) -> str:
    return households.reference_digits(house.household_id)


async def status(api: Harness) -> dict[int, tuple[int, int]]:
    async with api.ctx.storage.read() as q:
        lines = await dues.status(q, current_period=month(api))
    return {line.household_id: (line.due_cents, line.paid_cents) for line in lines}


async def test_a_coda_statement_is_matched_returns_unpay_and_twice_changes_nothing(money):
    api = money
    ada, bob, cyd = (
        await household(api, 2000),
        await household(api, 1500),
        await household(api, 1000),
    )
    async with api.ctx.storage.transaction() as q:
        await direct_debit.add_mandate(
            q,
            api.cfg,
            household_id=cyd.household_id,
            iban=CYD_IBAN,
            bic=None,
            debtor_name="Cyd",
            signed_on=(today(api) - timedelta(days=40)).isoformat(),
            today=today(api),
            actor="test",
            now=api.now - 30 * 86400,
        )
    collection = today(api) + timedelta(days=1)
    debit = await direct_debit.debit(
        api.ctx.storage, api.cfg, collection_date=collection.isoformat(), actor="t", now=api.now
    )
    assert debit.transactions == 1 and debit.first == 1
    async with api.ctx.storage.read() as q:
        e2e = (await q.contributions.debits_of_mandates())[0]["end_to_end_id"]
    unknown = "0000099999" + ogm_vcs.calc_check_digits("0000099999")
    on = today(api)
    moves = [
        Move(2000, on, "B1REF000001", structured=digits(ada), iban=ADA_IBAN, name="Ada"),
        Move(
            2500,
            on,
            "B1REF000002",
            text=f"cotisation +++{digits(bob)[:3]}/{digits(bob)[3:7]}/{digits(bob)[7:]}+++ merci",
            iban=BOB_IBAN,
            name="Bob",
        ),
        Move(1000, on, "B1REF000003", structured=unknown, iban="BE86001000424250", name="Zoe"),
        Move(
            1000,
            on,
            "B1REF000004",
            iban=CYD_IBAN,
            name="Cyd",
            end_to_end=e2e,
            family="05",
            code="01",
            text="SSA",
        ),
        Move(
            -1000,
            on,
            "B1REF000005",
            iban=CYD_IBAN,
            name="Cyd",
            end_to_end=e2e,
            family="05",
            code="03",
            r_type="2",
            reason="MD06",
        ),
        Move(-45000, on, "B1REF000006", iban="BE71096123456769", name="Epicerie", text="payout"),
    ]
    data = coda(CAISSE_IBAN, moves, created=on)

    # Cross-check: pycoda reads the same amounts, communications and counterparties.
    theirs = PycodaParser().parse(data)[0]
    mine = bank_files.parse(data)
    assert mine.format == "coda" and mine.account == CAISSE_IBAN == theirs.acc_number
    assert len(theirs.movements) == len(mine.entries) == 6
    for t, m in zip(theirs.movements, mine.entries, strict=True):
        sign = -1 if t.transaction_amount_sign == "1" else 1
        assert round(t.transaction_amount * 100) * sign == m.amount_cents
        assert (t.counterparty_number or None) == m.counterparty_iban
        if t.communication_is_structured:
            assert t.communication.replace("+", "").replace("/", "") == m.structured_ref
    assert mine.entries[0].structured_ref == digits(ada)
    assert mine.entries[1].structured_ref == digits(bob)  # typed in a free communication
    assert mine.entries[4].returned and mine.entries[4].return_reason == "MD06"

    result = await bank_import.import_statement(
        api.ctx.storage, api.cfg, data, actor="t", now=api.now
    )
    assert result.to_json() | {"statement": ""} == {
        "statement": "",
        "format": "coda",
        "lines": 6,
        "matched": 3,
        "matched_cents": 5500,
        "unmatched": 1,
        "duplicates": 0,
        "returned": 1,
        "returned_cents": -1000,
        "other": 1,
    }
    assert await status(api) == {
        ada.household_id: (2000, 2000),
        bob.household_id: (1500, 2500),  # overpaid: a credit of 10 €
        cyd.household_id: (1000, 0),  # the returned debit: unpaid again
    }
    async with api.ctx.storage.read() as q:
        assert (await q.contributions.debit(e2e))["returned_at"] is not None
        before = await q.contributions.paid_by_household()
    again = await bank_import.import_statement(
        api.ctx.storage, api.cfg, data, actor="t", now=api.now
    )
    assert (again.lines, again.duplicates, again.matched, again.unmatched) == (6, 6, 0, 0)
    async with api.ctx.storage.read() as q:
        assert await q.contributions.paid_by_household() == before
        queue = await q.contributions.entries("unmatched")
    # The unknown reference waits for a volunteer, who assigns it to Bob.
    assert [r["amount_cents"] for r in queue] == [1000]
    async with api.ctx.storage.transaction() as q:
        await bank_import.assign_entry(
            q, queue[0]["entry_key"], bob.household_id, actor="v", now=api.now
        )
        with pytest.raises(bank_import.BankImportError, match="not waiting"):
            await bank_import.assign_entry(
                q, queue[0]["entry_key"], ada.household_id, actor="v", now=api.now
            )
    assert (await status(api))[bob.household_id] == (1500, 3500)


async def test_camt_statements_overlapping_count_each_bank_entry_once(money):
    api = money
    ada, bob = await household(api, 2000), await household(api, 1500)
    on = today(api)
    # Ada's IBAN becomes known from a first payment with her reference.
    first = camt053(
        CAISSE_IBAN,
        [
            Move(2000, on, "C-0001", structured=digits(ada), iban=ADA_IBAN, name="Ada Lovelace"),
            Move(1500, on, "C-0002", structured=digits(bob), iban=BOB_IBAN, name="Bob"),
        ],
        statement_id="STMT-1",
        created=on,
    )
    second = camt053(
        CAISSE_IBAN,
        [
            Move(1500, on, "C-0002", structured=digits(bob), iban=BOB_IBAN, name="Bob"),
            Move(2000, on, "C-0003", text="cotisation mars", iban=ADA_IBAN, name="Ada Lovelace"),
            Move(777, on, "C-0004", text="don", iban="BE86001000424250", name="X"),
        ],
        statement_id="STMT-2",
        created=on,
    )

    parsed = bank_files.parse(first)
    assert parsed.format == "camt.053" and parsed.account == CAISSE_IBAN
    theirs = Camt053Parser(first).get_transactions()
    assert [round(float(t["Amount"]) * 100) for t in theirs] == [
        e.amount_cents for e in parsed.entries
    ]
    assert [e.structured_ref for e in parsed.entries] == [digits(ada), digits(bob)]

    one = await bank_import.import_statement(
        api.ctx.storage, api.cfg, first, actor="t", now=api.now
    )
    assert (one.matched, one.matched_cents, one.unmatched) == (2, 3500, 0)
    two = await bank_import.import_statement(
        api.ctx.storage, api.cfg, second, actor="t", now=api.now
    )
    assert (two.lines, two.duplicates, two.matched, two.unmatched) == (3, 1, 1, 1)
    async with api.ctx.storage.read() as q:
        matched = [r for r in await q.contributions.entries() if r["how"] == "iban_amount"]
    assert [r["household_id"] for r in matched] == [ada.household_id]
    assert await status(api) == {ada.household_id: (2000, 4000), bob.household_id: (1500, 1500)}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello", "not a CODA or camt.053"),
        (
            b'<?xml version="1.0"?>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"/>',
            "not a statement",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document xmlns="camt.053"/>',
            "DOCTYPE",
        ),
    ],
)
def test_what_is_not_a_statement_is_refused_clearly(data, message):
    with pytest.raises(BankFileError, match=message):
        bank_files.parse(data)


def test_a_coda_amount_with_a_fraction_of_a_cent_is_refused():
    data = coda(CAISSE_IBAN, [Move(100, date(2026, 3, 2), "R1")], created=date(2026, 3, 2))
    lines = data.decode("cp1252").split("\r\n")
    lines[2] = lines[2][:46] + "5" + lines[2][47:]
    with pytest.raises(BankFileError, match="fraction of a cent"):
        bank_files.parse("\r\n".join(lines).encode("cp1252"))


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_the_fast_structured_communication_check_agrees_with_python_stdnum(digits):
    assert bank_files.ogm_valid(digits) == ogm_vcs.is_valid(digits)
    base = digits[:10]
    good = base + ogm_vcs.calc_check_digits(base)
    assert bank_files.ogm_valid(good)


def test_a_camt_return_is_read_with_its_reason_and_end_to_end_id():
    on = date(2026, 3, 2)
    data = camt053(
        CAISSE_IBAN,
        [
            Move(
                -1500,
                on,
                "R-1",
                iban=CYD_IBAN,
                name="Cyd",
                end_to_end="SSA-3-2026-03-1",
                family="05",
                r_type="2",
                reason="AM04",
            ),
            Move(-45000, on, "P-1", iban=ADA_IBAN, name="Epicerie", text="payout"),
        ],
        statement_id="S-R",
        created=on,
    )
    back, payout = bank_files.parse(data).entries
    assert (back.returned, back.return_reason, back.end_to_end_id) == (
        True,
        "AM04",
        "SSA-3-2026-03-1",
    )
    assert back.amount_cents == -1500 and back.counterparty_iban == CYD_IBAN
    assert not payout.returned and payout.amount_cents == -45000


def test_a_globalised_collection_is_counted_by_its_details():
    on = date(2026, 3, 5)
    data = coda(
        CAISSE_IBAN,
        [
            Move(3500, on, "GLOB1", kind="1", family="05", code="01", text="SEPA DD batch"),
            Move(
                1500,
                on,
                "GLOB1",
                kind="5",
                seq=1,
                detail=1,
                family="05",
                code="01",
                iban=ADA_IBAN,
                end_to_end="SSA-1-2026-03-1",
            ),
            Move(
                2000,
                on,
                "GLOB1",
                kind="5",
                seq=1,
                detail=2,
                family="05",
                code="01",
                iban=BOB_IBAN,
                end_to_end="SSA-2-2026-03-1",
            ),
            Move(700, on, "SINGLE", structured="000000000101"),
        ],
        created=on,
    )
    theirs = PycodaParser().parse(data)[0]
    assert len(theirs.movements) == 4  # pycoda keeps the total and its details
    mine = bank_files.parse(data).entries
    assert [(e.amount_cents, e.end_to_end_id) for e in mine] == [
        (1500, "SSA-1-2026-03-1"),
        (2000, "SSA-2-2026-03-1"),
        (700, None),
    ]
    assert len({e.key for e in mine}) == 3

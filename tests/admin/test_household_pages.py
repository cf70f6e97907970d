"""The console's households, contributions, review queue and books, as volunteers and
the treasurer use them — on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from beancount import loader

from server.caisse import households
from server.console.auth.accounts import add_user
from tests.server.bank_statements import Move, coda
from tests.server.conftest import make_caisse

from .conftest import Console

pytestmark = pytest.mark.anyio
TZ = ZoneInfo("Europe/Brussels")
TREASURER = ("treasurer@caisse.example", "treasurer-password-123")
IBAN = "BE62510007547061"


@pytest.fixture
async def caisse(tmp_path, backend, key_material, clock):
    """The console's caisse, with an account, the Gironde floors and a rule of allowances."""
    return await make_caisse(
        tmp_path / "data",
        backend,
        key_material,
        int(clock()),
        sepa_debtor_name="SSA Bruxelles",
        sepa_debtor_iban=IBAN,
        sepa_creditor_id="BE69ZZZ050D000000008",
        sepa_creditor_address="Rue Haute 3, 1000 Bruxelles",
        allowance_rules=[
            {
                "from": "2020-01",
                "first_adult_cents": 15000,
                "extra_adult_cents": 7500,
                "child_cents": 7500,
            }
        ],
        contribution_schemes=[
            {
                "from": "2020-01",
                "kind": "proportional",
                "rate_bp": 200,
                "floor_household_cents": 1000,
                "floor_extra_person_cents": 500,
            }
        ],
    )


async def new_household(console: Console, adults: str = "2", children: str = "1") -> int:
    r = await console.post(
        "/admin/households/new", {"label": "Rue Haute", "adults": adults, "children": children}
    )
    assert r.status_code == 303, r.text
    return int(r.headers["location"].split("/")[3].split("?")[0])


async def test_a_volunteer_adds_a_household_sets_its_contribution_and_takes_cash(operator):
    hid = await new_household(operator)
    page = await operator.get(f"/admin/households/{hid}")
    assert page.status_code == 200
    digits = households.reference_digits(hid)
    assert households.format_reference(digits) in page.text
    assert "300,00\u00a0€" in page.text  # 150 € + 75 € + 75 €
    assert "20,00\u00a0€" in page.text  # the floor: 10 € + 5 € for each of two more people
    r = await operator.post(f"/admin/households/{hid}/contribution", {"amount": "19,99"})
    assert r.status_code == 400 and "below this household&#39;s floor" in r.text
    r = await operator.post(f"/admin/households/{hid}/contribution", {"amount": "30"})
    assert r.status_code == 303
    r = await operator.post(
        f"/admin/households/{hid}/cash", {"amount": "12,50", "received_on": "2999-01-01"}
    )
    assert r.status_code == 400
    today = datetime.fromtimestamp(operator.api.now, TZ).date().isoformat()
    r = await operator.post(
        f"/admin/households/{hid}/cash", {"amount": "12,50", "received_on": today}
    )
    assert r.status_code == 200 and "Receipt n°" in r.text and "12,50\u00a0€" in r.text
    assert re.search(r"Receipt n° [0-9a-f]{16}", r.text)
    letter = await operator.get(f"/admin/households/{hid}/letter")
    assert letter.status_code == 200 and "<svg" in letter.text and IBAN in letter.text
    assert "17,50\u00a0€" in letter.text  # still to pay this month
    for lang, word in (("fr", "Mandat de domiciliation"), ("nl", "domiciliëringsmandaat")):
        form = await operator.get(f"/admin/households/{hid}/mandate?form={lang}")
        assert form.status_code == 200 and word in form.text
        assert f"SSA{hid:07d}M1" in form.text and "BE69ZZZ050D000000008" in form.text
        assert "Rue Haute 3, 1000 Bruxelles" in form.text
    listing = await operator.get("/admin/households?show=unpaid")
    assert f"/admin/households/{hid}" in listing.text
    # Declared incomes: the treasurer's only.
    assert (await operator.get(f"/admin/households/{hid}/income")).status_code == 403


async def test_the_treasurer_reads_declared_incomes_and_each_read_is_audited(accounts, admin):
    api = accounts
    await add_user(
        api.ctx.storage, email=TREASURER[0], password=TREASURER[1], role="treasurer", now=api.now
    )
    hid = await new_household(admin, "1", "0")
    month = datetime.fromtimestamp(api.now, TZ).strftime("%Y-%m")
    from server.caisse import dues

    async with api.ctx.storage.transaction() as q:
        await dues.set_contribution(
            q,
            api.cfg,
            hid,
            declared_income_cents=180000,
            current_period=month,
            actor="t",
            now=api.now,
        )
    assert (await admin.get(f"/admin/households/{hid}/income")).status_code == 403
    treasurer = Console(api)
    assert (await treasurer.login(*TREASURER)).status_code == 303
    r = await treasurer.get(f"/admin/households/{hid}/income")
    assert r.status_code == 200 and "1.800,00\u00a0€" in r.text
    async with api.ctx.storage.read() as q:
        reads = [
            e for e in await q.console.audit_chain() if e["action"] == "contribution.income_read"
        ]
    assert [(e["actor"], e["target"]) for e in reads] == [(TREASURER[0], str(hid))]
    await treasurer.close()


async def test_the_first_of_the_month_import_review_and_books(admin, operator):
    api = admin.api
    hid = await new_household(admin, "1", "0")
    await admin.post(f"/admin/households/{hid}/contribution", {"amount": "20"})
    other = await new_household(admin, "1", "0")
    await admin.post(f"/admin/households/{other}/contribution", {"amount": "10"})
    overview = await admin.get("/admin/contributions")
    assert overview.status_code == 200 and f"/admin/households/{hid}" in overview.text
    on = datetime.fromtimestamp(api.now, TZ).date()
    statement = coda(
        IBAN,
        [
            Move(
                2000,
                on,
                "REF1",
                structured=households.reference_digits(hid),
                iban="BE38096765432172",
            ),
            Move(1000, on, "REF2", text="cotisation de Bob", iban="BE43068999999501", name="Bob"),
        ],
        created=on,
    )
    r = await admin.post(
        "/admin/contributions/import", files={"statement": ("stmt.cod", statement)}
    )
    assert r.status_code == 200 and "2 lines, 1 matched" in r.text and "1 to review" in r.text
    review = await operator.get("/admin/contributions/review")
    assert "cotisation de Bob" in review.text
    key = re.search(r"/admin/contributions/review/([0-9a-f]{32})", review.text)[1]
    r = await operator.post(f"/admin/contributions/review/{key}", {"household_id": "999999"})
    assert r.status_code == 400 and "no household 999999" in r.text
    r = await operator.post(f"/admin/contributions/review/{key}", {"household_id": str(other)})
    assert r.status_code == 303
    overview = await admin.get("/admin/contributions")
    assert "Every household has paid this month." in overview.text
    # Books: the month's contributions and a subsidy, as CSV and as a ledger bean-check accepts.
    r = await admin.post(
        "/admin/books/subsidy",
        {"source": "cpas", "amount": "1500,00", "received_on": on.isoformat()},
    )
    assert r.status_code == 303
    books = await admin.get("/admin/books")
    assert books.status_code == 200 and '<svg class="chart"' in books.text
    month = on.strftime("%Y-%m")
    csv = (await admin.get(f"/admin/books/{month}.csv")).text
    assert csv.splitlines()[0].startswith("date,kind,category,amount_cents")
    assert len(csv.splitlines()) == 4
    ledger = (await admin.get(f"/admin/books/{month}.beancount")).text
    entries, errors, _ = loader.load_string(ledger)
    assert not errors and len([e for e in entries if type(e).__name__ == "Transaction"]) == 3
    assert (await operator.get("/admin/books")).status_code == 403
    assert date.fromisoformat(csv.splitlines()[1].split(",")[0]) == on


async def test_the_activation_letter_tells_how_to_pay_the_contribution(operator):
    r = await operator.post("/admin/members/new", {"name": "Amina", "language": "fr"})
    assert r.status_code == 200
    assert "Votre cotisation à la caisse" in r.text and IBAN in r.text
    assert re.search(r"\+\+\+\d{3}/\d{4}/\d{5}\+\+\+", r.text)


async def test_the_self_assessment_sets_a_proportional_contribution(admin):
    hid = await new_household(admin, "1", "0")
    r = await admin.post(
        f"/admin/households/{hid}/contribution", {"amount": "", "income": "2000,00"}
    )
    assert r.status_code == 303
    page = await admin.get(f"/admin/households/{hid}")
    assert "40,00\u00a0€" in page.text  # 2 % of 2000 €
    r = await admin.post(f"/admin/households/{hid}/contribution", {"income": "deux mille"})
    assert r.status_code == 400

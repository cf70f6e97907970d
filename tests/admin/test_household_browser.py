"""The households and contributions pages in Chromium: no axe-core violation, in the three
languages, on a real server with a household that owes, pays and has a credit to review."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import now_s, serve_caisse
from tests.server.bank_statements import Move, coda

from .conftest import ADMIN, axe_violations, browser_login

IBAN = "BE62510007547061"
LOCALES = {"fr": "fr-BE", "nl": "nl-BE", "en": "en-GB"}


@pytest.fixture(scope="module")
def money_server(tmp_path_factory):
    def prepare(server) -> None:
        path = server.data / "config.json"
        config = json.loads(path.read_text())
        config.update(
            sepa_debtor_name="Caisse test",
            sepa_debtor_iban=IBAN,
            sepa_creditor_id="BE69ZZZ050D000000008",
            allowance_rules=[
                {
                    "from": "2020-01",
                    "first_adult_cents": 15000,
                    "extra_adult_cents": 7500,
                    "child_cents": 7500,
                }
            ],
            contribution_schemes=[
                {"from": "2020-01", "kind": "free", "floor_household_cents": 1000}
            ],
        )
        path.write_text(json.dumps(config))
        server.admin(
            "user", "add", "--email", ADMIN[0], "--role", "admin", SSA_ADMIN_PASSWORD=ADMIN[1]
        )

    data = tmp_path_factory.mktemp("money-caisse")
    with serve_caisse(data, caisse="be-money-test", prepare=prepare) as server:
        house = server.admin("household", "add", "--adults", "2", "--children", "1")
        hid = str(house["household_id"])
        server.admin("member", "add", "--name", "Amina", "--household", hid)
        server.admin("contribution", "set", "--household", hid, "--monthly-cents", "2000")
        server.admin("contribution", "cash", "--household", hid, "--cents", "500")
        statement = data / "statement.cod"
        today = datetime.fromtimestamp(now_s(), ZoneInfo("Europe/Brussels")).date()
        statement.write_bytes(
            coda(
                IBAN,
                [
                    Move(1500, today, "UNKNOWN1", text="don", iban="BE43068999999501", name="X"),
                ],
                created=today,
            )
        )
        server.admin("contribution", "import", str(statement))
        yield server, hid


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_households_and_money_pages_have_no_axe_violation(browser, money_server, lang) -> None:
    server, hid = money_server
    ctx = browser.new_context(
        viewport={"width": 1024, "height": 800}, locale=LOCALES[lang], bypass_csp=True
    )
    page = ctx.new_page()
    page.goto(server.url + f"/admin/login?lang={lang}")
    browser_login(page, server.url, ADMIN)
    for path in (
        "/admin/households",
        "/admin/households/new",
        f"/admin/households/{hid}",
        f"/admin/households/{hid}/cash",
        f"/admin/households/{hid}/letter",
        f"/admin/households/{hid}/mandate",
        f"/admin/households/{hid}/mandate?form=nl",
        "/admin/contributions",
        "/admin/contributions/review",
        "/admin/books",
    ):
        page.goto(server.url + path)
        assert page.locator("html").get_attribute("lang") == lang, path
        assert axe_violations(page) == [], path
    page.goto(server.url + f"/admin/households/{hid}")
    page.locator("#f-amount").first.fill("1")
    page.locator("form[action$='/contribution'] button[type=submit]").click()
    page.locator(".error-summary").wait_for()
    assert axe_violations(page) == [], "contribution below the floor"
    ctx.close()

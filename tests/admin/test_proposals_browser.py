"""The console's vote pages in real Chromium on the real server: a proposal entered in the
form, then its page with the assembly and proxy forms, free of WCAG A/AA violations."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import now_s

from .conftest import OPERATOR, axe_violations, browser_login

BRUSSELS = ZoneInfo("Europe/Brussels")


def test_a_volunteer_enters_a_proposal_and_records_an_assembly(browser, console_server) -> None:
    url = console_server["url"]
    today = datetime.fromtimestamp(now_s(), BRUSSELS).date()
    for i in range(8):  # the members the assembly's votes are counted among
        console_server["cli"]("member", "add", "--name", f"Membre {i}")
    context = browser.new_context(locale="fr-BE", bypass_csp=True)
    page = context.new_page()
    try:
        browser_login(page, url, OPERATOR)
        page.goto(url + "/admin/proposals/new?lang=fr")
        assert axe_violations(page) == [], "the proposal form"
        page.locator("#f-kind").select_option("consultation")
        page.locator("#f-title").fill("Quel soir pour l’assemblée ?")
        page.locator("#f-options").fill("Mardi\nJeudi")
        page.locator("#f-opens").fill(today.isoformat())
        page.locator("#f-closes").fill((today + timedelta(days=3)).isoformat())
        page.locator("form.card button[type=submit]").click()
        page.wait_for_url("**/admin/proposals/p-*")
        assert "La proposition est enregistrée." in page.content()
        assert axe_violations(page) == [], "the proposal's page"
        page.locator("#f-meeting").fill("Assemblée de quartier")
        page.locator("#f-count_0").fill("5")
        page.locator("#f-count_1").fill("2")
        page.get_by_role("button", name="Enregistrer le décompte").click()
        page.wait_for_url("**done=assembly_recorded")
        assert "Assemblée Assemblée de quartier :" in page.content()
        page.goto(url + "/admin/proposals?lang=fr")
        assert "Quel soir pour l’assemblée ?" in page.content()
        assert axe_violations(page) == [], "the list of votes"
    finally:
        context.close()

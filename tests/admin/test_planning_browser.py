"""The planning page and the council report in real headless Chromium against the real
``ssa-server``: axe-core finds nothing on the runway, on a simulated scenario, or on the
report as a council receives it, in French and Dutch."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.console import council
from server.ledger.scenario import read_scenario
from server.ledger.simulation import simulate

from .conftest import ADMIN, axe_violations, browser_login

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "grenoble.toml"
LANG_LOCALES = {"fr": "fr-BE", "nl": "nl-BE"}


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_planning_and_the_council_report_have_no_axe_violation(browser, console_server, lang):
    url = console_server["url"]
    ctx = browser.new_context(
        viewport={"width": 1024, "height": 800}, locale=LANG_LOCALES[lang], bypass_csp=True
    )
    page = ctx.new_page()
    page.goto(url + f"/admin/login?lang={lang}")
    browser_login(page, url, ADMIN)
    page.goto(url + "/admin/planning")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("svg.plan-chart").count() == 1
    assert axe_violations(page) == [], "planning"
    page.locator("#f-scenario").fill(EXAMPLE.read_text())
    page.locator("form.plan-scenario button.primary").click()
    page.locator("#simulated").wait_for()
    assert axe_violations(page) == [], "simulated scenario"
    page.locator("#f-scenario").fill("[run]\nstart = 2027")
    page.locator("form.plan-scenario button.primary").click()
    page.locator("#f-scenario-error").wait_for()
    assert axe_violations(page) == [], "scenario refused"
    result = simulate(read_scenario(EXAMPLE.read_text(), "grenoble.toml"))
    page.set_content(council.report_html(result, lang))
    assert axe_violations(page) == [], "council report"
    ctx.close()

"""The planning page through real HTTP on SQLite and PostgreSQL: the runway sentence, its
warning, the chart, and scenarios simulated into the council report (on the page, PDF, HTML)."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from server.caisse import households, members
from server.console.i18n import Formats
from server.ledger.scenario import read_scenario
from server.ledger.simulation import add_months
from server.periods import period_at

from .conftest import Harness, server_helpers

pytestmark = pytest.mark.anyio
TZ = ZoneInfo("Europe/Brussels")
EXAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "examples" / "grenoble.toml").read_text()
RULE = {"from": "2020-01", "first_adult_cents": 10000, "extra_adult_cents": 5000,
        "child_cents": 5000, "max_household_cents": 20000}  # fmt: skip
TEXTAREA = re.compile(r'<textarea id="f-scenario"[^>]*>(.*?)</textarea>', re.S)


@pytest.fixture
async def api(tmp_path, backend, key_material, clock):
    """A caisse with Grenoble's rule, 300 € in the bank and a warning at 6 months."""
    cfg = await server_helpers.make_caisse(
        tmp_path / "data", backend, key_material, int(clock()),
        allowance_rules=[RULE],
        budget={"opening_balance_cents": 30000, "warning_months": 6},
    )  # fmt: skip
    harness = await Harness(cfg, backend, key_material, clock).start()
    clock.advance(60)
    async with harness.ctx.storage.transaction() as q:
        made = await households.add_household(
            q, cfg, adults=1, children=0, period="2026-01", now=harness.now
        )
        await members.add_member(
            q, cfg, name="Ada", email=None, now=harness.now, household_id=made.household_id
        )
    try:
        yield harness
    finally:
        await harness.stop()


def month_words(api, language: str, months: int = 0) -> str:
    period = add_months(period_at(api.now, TZ).name, months)
    return Formats(language, "Europe/Brussels").month(period)


async def test_the_runway_is_a_sentence_a_chart_and_a_warning(admin):
    page = await admin.get("/admin/planning")
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    # 300 € for a 100 € household: this month, next and the one after, then short
    assert f"At the current pace, the fund lasts until {month_words(admin.api, 'en', 2)}." in text
    assert 'id="runway-warning"' in page.text and "shorter than 6 months" in text
    assert page.text.count("<svg") == 1 and "Forecast" in text
    assert 'href="/admin/static/council.css"' in page.text
    scenario = read_scenario(html.unescape(TEXTAREA.search(page.text)[1]), "page.toml")
    assert scenario.groups[0].count == 1 and scenario.run.fund_cents == 30000
    fr = await admin.get("/admin/planning?lang=fr")
    fr_text = html.unescape(fr.text)
    assert (
        f"Au rythme actuel, le fonds tient jusqu'en {month_words(admin.api, 'fr', 2)}." in fr_text
    )
    nl = html.unescape((await admin.get("/admin/planning?lang=nl")).text)
    assert (
        f"Aan het huidige tempo volstaat het fonds tot en met {month_words(admin.api, 'nl', 2)}"
        in nl
    )


async def test_the_dashboard_warns_admins_of_a_short_runway(admin, operator):
    home = html.unescape((await admin.get("/admin/")).text)
    assert 'id="runway-warning"' in home
    assert f"the fund lasts until {month_words(admin.api, 'en', 2)}" in home
    assert 'id="runway-warning"' not in (await operator.get("/admin/")).text


async def test_a_scenario_is_simulated_on_the_page(admin):
    r = await admin.post("/admin/planning/simulate?lang=nl", {"scenario": EXAMPLE})
    assert r.status_code == 200, r.text
    text = html.unescape(r.text)
    assert 'id="simulated"' in r.text and "Wie draagt bij, wie ontvangt" in text
    assert Formats("nl", "Europe/Brussels").money(435000) in text  # Grenoble's, in Dutch
    bad = EXAMPLE.replace("count = 26", "count = -26")
    r = await admin.post("/admin/planning/simulate?lang=en", {"scenario": bad})
    assert r.status_code == 400
    assert "scenario, line 25: count must be a whole number from 0" in html.unescape(r.text)
    assert 'aria-invalid="true"' in r.text and "count = -26" in r.text  # the text is kept
    empty = await admin.post("/admin/planning/simulate?lang=en", {"scenario": ""})
    assert empty.status_code == 400 and "Paste a scenario" in empty.text


async def test_the_council_report_as_a_file(admin):
    pdf = await admin.post(
        "/admin/planning/report", {"scenario": EXAMPLE, "report_lang": "fr", "format": "pdf"}
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == 1 and "Budget d'un projet pilote" in reader.pages[0].extract_text()
    page = await admin.post(
        "/admin/planning/report", {"scenario": EXAMPLE, "report_lang": "nl", "format": "html"}
    )
    assert page.status_code == 200 and page.text.startswith("<!doctype html>")
    assert "Begroting van een proefproject" in page.text and "<style>" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


async def test_operators_do_not_see_the_planning(operator):
    assert (await operator.get("/admin/planning")).status_code == 403
    home = await operator.get("/admin/")
    assert 'href="/admin/planning"' not in home.text

"""Small things that cost trust: the home page, the favicon, the menu on settlement pages,
the chart's labels, the language links of a page that shows a code once."""

from __future__ import annotations

import html
import re

import pytest

from server.console.chart import bar_chart
from server.languages import Formats

from .test_money_pages import _settled

pytestmark = pytest.mark.anyio
LINK = re.compile(r'id="activation-link">([^<]+)<')


async def test_the_home_page_points_to_the_wallet_and_the_console(accounts) -> None:
    client = accounts.client
    page = await client.get("/", headers={"Accept": "text/html", "Accept-Language": "nl-BE"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="nl">' in page.text and 'href="/wallet/"' in page.text
    assert 'href="/admin/"' in page.text and "Mijn portefeuille openen" in page.text
    french = await client.get("/?lang=fr", headers={"Accept": "text/html"})
    assert "Ouvrir mon portefeuille" in french.text
    # Programs asking for JSON get what / always answered.
    data = await client.get("/", headers={"Accept": "application/json"})
    assert data.json()["wallet"] == "/wallet/" and data.json()["caisse"] == accounts.cfg.caisse


async def test_a_favicon_is_served(accounts) -> None:
    ico = await accounts.client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.content[:4] == b"\x00\x00\x01\x00"
    svg = await accounts.client.get("/favicon.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")


async def test_the_menu_highlights_reconciliation_on_a_settlement(admin, accounts) -> None:
    _shop, sid, _ = await _settled(admin, accounts)
    page = await admin.get(f"/admin/settlements/{sid}")
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', page.text)
    assert current == ["/admin/reconciliation"]


def test_the_chart_labels_fit_their_slot_and_the_legend_is_whole() -> None:
    fmt = Formats("fr", "Europe/Brussels")
    periods = ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
    svg = str(
        bar_chart(
            [(fmt.axis_month(p), 15000, 9000) for p in periods],
            title="t",
            description="d",
            series=("Allocations émises", "Allocations dépensées"),
            money=fmt.money,
        )
    )
    months = re.findall(r'<tspan x="[^"]+" dy="0">([^<]+)</tspan>', svg)
    assert months == ["juil.", "août", "sept.", "oct.", "nov.", "déc."]
    assert svg.count(">2026</tspan>") == 6  # the year under each month, not beside it
    height = int(re.search(r'viewBox="0 0 \d+ (\d+)"', svg)[1])
    legend = [
        (float(x), float(y)) for x, y in re.findall(r'class="legend" x="([^"]+)" y="([^"]+)"', svg)
    ]
    assert all(y + 4 <= height for _, y in legend)  # descenders inside the picture
    assert legend[1][0] > legend[0][0] + len("Allocations émises") * 6.5  # no overlap


async def test_the_language_links_of_a_new_member_keep_the_code(admin, accounts) -> None:
    created = await admin.post("/admin/members/new", {"name": "Amina", "language": "fr"})
    link = LINK.search(created.text)[1]
    code = link.split("=", 1)[1]
    assert 'class="relang"' in created.text  # the language links are forms, not links
    action = re.search(
        r'<form method="post" action="([^"]+)\?lang=nl" class="relang">', created.text
    )
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', created.text))
    again = await admin.post(
        html.unescape(action[1]) + "?lang=nl",
        {k: fields[k] for k in ("code", "created", "language", "trust_list_seq")},
    )
    assert again.status_code == 200 and '<html lang="nl">' in again.text
    assert LINK.search(again.text)[1] == link  # the same code, still shown
    assert "Bonjour Amina," in again.text  # the letter stays in the member's language
    # A code that no longer works is not shown again.
    member_id = re.search(r"/admin/members/([0-9a-f]{16})", created.text)[1]
    await admin.post(f"/admin/members/{member_id}/code", {"language": "fr"})
    stale = await admin.post(action[1] + "?lang=en", {"code": code, "language": "fr"})
    assert stale.status_code == 409 and code not in stale.text

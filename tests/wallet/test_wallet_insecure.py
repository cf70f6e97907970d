"""The wallet opened over plain http on an address that is not the phone's own (a caisse
served without its certificate): the browser gives the page no secure context, so the
wallet cannot work — and it says so, naming the https address, instead of blaming the
phone ("your phone refuses to store the wallet's data")."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

EXPECTED = {
    "fr-BE": "doit être ouverte avec une adresse en https://",
    "nl-BE": "moet met een adres in https:// geopend worden",
    "en-GB": "must be opened over https://",
}


@pytest.mark.parametrize("locale", list(EXPECTED))
def test_plain_http_on_a_real_address_asks_for_https(new_page, caisse, locale):
    page = new_page(locale=locale)
    # http://caisse.example is not a secure context (127.0.0.1 would be): every request
    # of the page is answered by the test caisse behind it.
    page.context.route(
        "http://caisse.example/**",
        lambda route: route.fulfill(
            response=route.fetch(
                url=route.request.url.replace("http://caisse.example", caisse.base_url)
            )
        ),
    )
    page.goto("http://caisse.example/wallet/")
    assert page.evaluate("() => window.isSecureContext") is False
    alert = page.locator("#alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(EXPECTED[locale])
    expect(alert).to_contain_text("https://caisse.example/wallet/")
    text = alert.inner_text()
    assert "refuse" not in text and "weigert" not in text

"""axe-core finds no WCAG 2.1 A/AA violation (nor best-practice issue) on any screen of
the wallet, in any of its three languages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from wallet_browser import activate, violations, wait_ready


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_every_screen_has_no_axe_violation(new_page, caisse, lang):
    # bypass_csp only so the test can inject axe-core; the wallet itself runs under CSP.
    page = new_page(locale={"fr": "fr-BE", "nl": "nl-BE", "en": "en-BE"}[lang], bypass_csp=True)

    page.goto(f"{caisse.base_url}/wallet/")
    wait_ready(page)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert violations(page) == [], "welcome"

    page.get_by_test_id("code-input").fill("wrong")
    page.get_by_test_id("activate-button").click()
    expect(page.get_by_role("alert")).not_to_have_text("")
    assert violations(page) == [], "welcome with an error"

    activate(page, caisse)
    assert violations(page) == [], "balance"

    page.get_by_test_id("amount-input").fill("9999")
    page.get_by_test_id("pay-button").click()
    expect(page.locator("#amount-error")).to_be_visible()
    assert violations(page) == [], "amount refused"

    page.get_by_test_id("amount-input").fill("3,20")
    page.get_by_test_id("pay-button").click()
    page.get_by_test_id("payment-qr").wait_for()
    assert violations(page) == [], "payment QR"

    page.get_by_test_id("close-qr").click()
    page.get_by_test_id("payment-qr").wait_for(state="hidden")
    expect(page.get_by_test_id("amount-input")).to_be_focused()  # back where paying starts
    assert violations(page) == [], "balance with history"

"""axe-core finds no WCAG 2.1 A/AA violation (nor best-practice issue) on any screen of
the wallet, in any of its three languages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from wallet_browser import activate, violations, wait_ready

from tests.conftest import now_s


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_every_screen_has_no_axe_violation(new_page, caisse, lang):
    # bypass_csp only so the test can inject axe-core; the wallet itself runs under CSP.
    page = new_page(locale={"fr": "fr-BE", "nl": "nl-BE", "en": "en-BE"}[lang], bypass_csp=True)

    page.clock.install(time=now_s())  # the stale QR below, without waiting ten minutes
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
    expect(page.get_by_test_id("confirm-pay")).to_be_focused()
    assert violations(page) == [], "confirm the amount"

    page.get_by_test_id("confirm-pay").click()
    page.get_by_test_id("payment-qr").wait_for()
    assert violations(page) == [], "payment QR"

    page.get_by_test_id("close-qr").click()
    expect(page.get_by_test_id("scanned-yes")).to_be_focused()
    assert violations(page) == [], "did the shop scan it?"

    page.get_by_test_id("scanned-no").click()
    expect(page.get_by_test_id("ask-screen")).to_be_hidden()
    expect(page.get_by_test_id("amount-input")).to_be_focused()  # back where paying starts
    assert violations(page) == [], "balance with a cancelled payment"

    page.clock.fast_forward("10:00")
    page.get_by_test_id("amount-input").fill("1")
    page.get_by_test_id("pay-button").click()
    page.get_by_test_id("confirm-pay").click()
    page.get_by_test_id("payment-qr").wait_for()
    page.clock.fast_forward("10:00")
    expect(page.get_by_test_id("qr-stale")).to_be_visible()
    assert violations(page) == [], "stale QR"

    page.get_by_test_id("remake-qr").click()
    page.get_by_test_id("scanned-yes").click()
    expect(page.get_by_test_id("ask-screen")).to_be_hidden()
    assert violations(page) == [], "balance with history"

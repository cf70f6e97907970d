"""A small phone (320 x 568 CSS px) with the text at 200 %, in each language: the Pay button
and the whole QR are on screen without scrolling (keyboard closed), the QR still reads,
and the activation-code field shows a whole code."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from wallet_browser import activate, decode_qr_image, scan, wait_ready

from keys.verify import MemoryJournal

SMALL = {"width": 320, "height": 568}
CODE = "ABCD-EFGH-JKMN-PQRS-TVWX"


def large_text(page, factor: float = 2.0) -> None:
    """The phone's text size setting: Chromium's default font size, as Android scales it."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": int(16 * factor), "fixed": 13}})


def box(page, test_id: str) -> dict:
    return page.get_by_test_id(test_id).evaluate(
        "e => { const r = e.getBoundingClientRect(); "
        "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }"
    )


def on_screen(page, test_id: str) -> bool:
    b = box(page, test_id)
    return b["top"] >= 0 and b["left"] >= 0 and b["bottom"] <= 568 and b["right"] <= 320


@pytest.mark.parametrize("locale", ["fr-BE", "nl-BE", "en-BE"])
def test_pay_and_the_qr_fit_a_small_phone_at_200_percent_text(new_page, caisse, locale):
    page = new_page(locale=locale, viewport=SMALL, device_scale_factor=2)
    large_text(page)
    page.goto(f"{caisse.base_url}/wallet/")
    wait_ready(page)
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "36px"
    field = page.get_by_test_id("code-input")
    field.fill(CODE)
    whole = field.evaluate(
        "e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight"
    )
    assert whole, "the activation code is cut"

    activate(page, caisse)
    page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
    assert page.evaluate("window.scrollY") == 0
    assert on_screen(page, "balance") and on_screen(page, "amount-input")
    assert on_screen(page, "pay-button"), box(page, "pay-button")

    page.get_by_test_id("amount-input").fill("12,34")
    page.get_by_test_id("pay-button").click()
    assert on_screen(page, "confirm-amount") and on_screen(page, "confirm-pay")
    page.get_by_test_id("confirm-pay").click()
    qr = page.get_by_test_id("payment-qr")
    qr.wait_for(state="visible")
    assert on_screen(page, "qr-amount") and on_screen(page, "payment-qr"), box(page, "payment-qr")
    assert on_screen(page, "close-qr")
    assert box(page, "payment-qr")["bottom"] - box(page, "payment-qr")["top"] >= 240
    assert scan(caisse, MemoryJournal(), decode_qr_image(page.screenshot())).ok

    page.get_by_test_id("close-qr").click()
    expect(page.get_by_test_id("scanned-yes")).to_be_visible()
    assert on_screen(page, "scanned-yes")  # the safe answer is always in view


def test_the_code_field_shows_a_whole_code_at_normal_size_too(new_page, caisse):
    page = new_page(viewport=SMALL)
    page.goto(f"{caisse.base_url}/wallet/")
    wait_ready(page)
    field = page.get_by_test_id("code-input")
    field.fill(CODE)
    assert field.evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight")
    field.press("Enter")  # a textarea, yet Enter sends the code
    expect(page.get_by_role("alert")).to_contain_text("not valid")

"""SPEC §3 "Cancelling a payment" in a real Chromium: "Pay 12,34 €?" before signing, "Did
the shop scan it?" after the QR, the amount back on the balance, and a stale QR remade at
no extra cost. Every QR is read from the screen and judged by the Python verifier."""

from __future__ import annotations

from playwright.sync_api import expect
from wallet_browser import activate, close_qr, decode_qr_image, pay, scan

from keys.tokens import decode_token, from_qr
from keys.verify import MemoryJournal, ResultCode
from tests.conftest import now_s


def payment_of(qr: str):
    return decode_token(from_qr(qr))


def stored_payments(page) -> list[dict]:
    return page.evaluate(
        """async () => {
          const store = await import('./js/store.js');
          const [cred] = await store.listCredentials();
          return (await store.listPayments(cred.ctiHex)).map(
            ({seq, amountCents, cum, status}) => ({seq, amountCents, cum, status}));
        }"""
    )


def test_pay_asks_for_the_amount_in_large_type_before_signing(new_page, caisse):
    page = new_page()
    activate(page, caisse)
    page.get_by_test_id("amount-input").fill("123")  # meant 12,3
    page.get_by_test_id("pay-button").click()
    expect(page.get_by_test_id("confirm-amount")).to_have_text("Pay €123.00?")
    expect(page.locator("#confirm-after")).to_have_text("You will have €27.50 left.")
    expect(page.get_by_test_id("confirm-pay")).to_be_focused()
    assert stored_payments(page) == []  # nothing reserved, nothing signed yet
    page.get_by_test_id("confirm-back").click()
    expect(page.get_by_test_id("confirm-screen")).to_be_hidden()
    expect(page.get_by_test_id("amount-input")).to_have_value("123")  # kept, to correct
    expect(page.get_by_test_id("amount-input")).to_be_focused()
    page.get_by_test_id("amount-input").fill("12,3")
    page.get_by_test_id("pay-button").click()
    expect(page.get_by_test_id("confirm-amount")).to_have_text("Pay €12.30?")
    page.keyboard.press("Escape")  # Escape is "no, correct it" too
    expect(page.get_by_test_id("confirm-screen")).to_be_hidden()
    assert stored_payments(page) == []
    qr = pay(page, "12,3")
    assert payment_of(qr).amount_cents == 1230
    expect(page.get_by_test_id("qr-amount")).to_have_text("€12.30")


def test_an_unscanned_qr_is_cancelled_and_the_next_cum_leaves_it_out(new_page, caisse):
    page = new_page()
    activate(page, caisse)
    first_qr = pay(page, "12,34")
    page.get_by_test_id("close-qr").click()
    ask = page.get_by_test_id("ask-screen")
    expect(ask.get_by_role("heading")).to_have_text("Did the shop scan it?")
    expect(page.get_by_test_id("ask-what")).to_have_text("Payment no. 1: €12.34")
    expect(ask.locator(".warning")).to_contain_text("paying twice with the same money")
    expect(page.get_by_test_id("scanned-yes")).to_be_focused()
    page.get_by_test_id("scanned-no").click()
    expect(ask).to_be_hidden()
    expect(page.get_by_test_id("balance")).to_have_text("€150.50")  # the amount is back
    expect(page.locator("#status")).to_have_text(
        "Payment cancelled: €12.34 is back on your balance."
    )
    item = page.get_by_test_id("history").locator("li[data-seq='1']")
    expect(item.get_by_test_id("payment-state")).to_have_text("cancelled, back on your balance")
    expect(item.get_by_role("button")).to_have_count(0)  # neither shown again nor cancelled twice

    second_qr = pay(page, "5")
    close_qr(page, scanned=True)
    expect(page.get_by_test_id("balance")).to_have_text("€145.50")
    first, second = payment_of(first_qr), payment_of(second_qr)
    assert (first.seq, first.cumulative_cents) == (1, 1234)
    assert (second.seq, second.cumulative_cents) == (2, 500)  # seq never reused, cum skips it
    assert [p["status"] for p in stored_payments(page)] == ["cancelled", "issued"]

    # A till that never saw the cancelled QR accepts the next one.
    honest = MemoryJournal()
    assert scan(caisse, honest, second_qr).ok
    # A till that accepted the cancelled QR anyway catches the next payment (SPEC §3, rule 13).
    cheated = MemoryJournal()
    assert scan(caisse, cheated, first_qr).ok
    assert scan(caisse, cheated, second_qr).code is ResultCode.DOUBLE_SPEND


def test_a_mistaken_yes_can_still_be_cancelled_from_the_history(new_page, caisse):
    page = new_page()
    activate(page, caisse)
    pay(page, "7")
    close_qr(page, scanned=True)
    expect(page.get_by_test_id("balance")).to_have_text("€143.50")
    item = page.get_by_test_id("history").locator("li[data-seq='1']")
    expect(item.get_by_test_id("payment-state")).to_have_text("not yet received by the caisse")
    item.get_by_test_id("cancel-payment").click()
    expect(page.get_by_test_id("ask-what")).to_have_text("Payment no. 1: €7.00")
    page.keyboard.press("Escape")  # nothing decided
    expect(page.get_by_test_id("ask-screen")).to_be_hidden()
    expect(page.get_by_test_id("balance")).to_have_text("€143.50")
    item.get_by_test_id("cancel-payment").click()
    page.get_by_test_id("scanned-no").click()
    expect(page.get_by_test_id("balance")).to_have_text("€150.50")
    # Once a later payment counts it, a payment can no longer be cancelled.
    pay(page, "1")
    close_qr(page, scanned=True)
    pay(page, "2")
    close_qr(page, scanned=True)
    expect(page.get_by_test_id("history").get_by_test_id("cancel-payment")).to_have_count(1)
    expect(
        page.get_by_test_id("history").locator("li[data-seq='3']").get_by_test_id("cancel-payment")
    ).to_have_count(1)


def test_a_stale_qr_is_remade_once_the_member_says_it_was_not_scanned(new_page, caisse):
    page = new_page()
    start = now_s()
    page.clock.install(time=start)
    activate(page, caisse)
    old_qr = pay(page, "20")
    page.clock.fast_forward("10:00")  # a long queue: the QR is older than the till accepts
    stale = page.get_by_test_id("qr-stale")
    expect(stale).to_contain_text("more than 10 minutes old")
    expect(page.get_by_test_id("payment-qr")).to_be_hidden()  # a refused QR is not shown
    journal = MemoryJournal()
    at_the_till = payment_of(old_qr).iat + 601  # what the wallet just said: a till refuses it
    assert scan(caisse, journal, old_qr, now=at_the_till).code is ResultCode.STALE
    page.get_by_test_id("remake-qr").click()
    expect(page.get_by_test_id("ask-what")).to_have_text(
        "The code for €20.00 (payment no. 1) has expired."
    )
    expect(page.get_by_test_id("scanned-no")).to_have_text("No, cancel it and make a new code")
    expect(page.get_by_test_id("scanned-show")).to_be_hidden()
    page.get_by_test_id("scanned-no").click()
    qr = page.get_by_test_id("payment-qr")
    qr.wait_for(state="visible")
    new_qr = decode_qr_image(qr.screenshot())
    token = payment_of(new_qr)
    assert (token.seq, token.amount_cents, token.cumulative_cents) == (2, 2000, 2000)
    assert scan(caisse, journal, new_qr, now=at_the_till).ok
    close_qr(page, scanned=True)
    expect(page.get_by_test_id("balance")).to_have_text("€130.50")  # charged once, not twice


def test_a_stale_qr_the_shop_did_scan_is_kept(new_page, caisse):
    page = new_page()
    page.clock.install(time=now_s())
    activate(page, caisse)
    pay(page, "20")
    page.clock.fast_forward("10:00")
    page.get_by_test_id("remake-qr").click()
    page.get_by_test_id("scanned-yes").click()
    expect(page.get_by_test_id("ask-screen")).to_be_hidden()
    expect(page.get_by_test_id("balance")).to_have_text("€130.50")
    assert [p["status"] for p in stored_payments(page)] == ["issued"]

"""Two tabs of one wallet (one IndexedDB) paying at once never sign two payments with one
seq: reserving seq/cum is one IndexedDB transaction, and reserve -> sign -> record QR,
like voiding unsigned payments at start, holds a Web Lock shared by every tab."""

from __future__ import annotations

from playwright.sync_api import expect
from wallet_browser import activate, close_qr, decode_qr_image, scan, wait_ready

from keys.tokens import decode_token, from_qr
from keys.verify import MemoryJournal

# Hold the tab's next signature until the test releases it: the payment is then reserved
# (seq/cum committed) and the pay lock held, but no QR exists yet.
GATE_SIGNING = """() => {
  const sign = crypto.subtle.sign.bind(crypto.subtle);
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  window.releaseSign = () => release();
  crypto.subtle.sign = async (...args) => {
    window.signWaiting = true;
    await gate;
    return sign(...args);
  };
}"""


def shown_qr(page) -> str:
    qr = page.get_by_test_id("payment-qr")
    qr.wait_for(state="visible", timeout=10_000)
    return decode_qr_image(qr.screenshot())


def assert_one_sequence(caisse, qrs: list[str], amounts: list[int]) -> None:
    """Every QR verifies OK in one journal, seqs are distinct and cum adds up in order."""
    journal = MemoryJournal()
    for qr in qrs:
        result = scan(caisse, journal, qr)
        assert result.ok, (result.code, result.message)
    payments = sorted((decode_token(from_qr(qr)) for qr in qrs), key=lambda p: p.seq)
    assert [p.seq for p in payments] == list(range(1, len(qrs) + 1))
    cum = 0
    for p in payments:
        cum += p.amount_cents
        assert p.cumulative_cents == cum, [
            (q.seq, q.amount_cents, q.cumulative_cents) for q in payments
        ]
    assert sorted(p.amount_cents for p in payments) == sorted(amounts)


def test_two_tabs_paying_at_the_same_instant_get_distinct_seqs(new_page, caisse):
    first = new_page()
    activate(first, caisse)
    # A same-origin tab opened by the first one, so one script can tap both Pay buttons
    # in the same task: the two payments start as simultaneously as a browser allows.
    with first.expect_popup() as opened:
        first.evaluate("() => { window.otherTab = window.open(location.href, '_blank'); }")
    second = opened.value
    wait_ready(second)
    expect(second.get_by_test_id("balance")).to_have_text("€150.50")

    qrs: list[str] = []
    amounts: list[int] = []
    for a, b in (("10", "5"), ("2,50", "7,25")):
        first.get_by_test_id("amount-input").fill(a)
        second.get_by_test_id("amount-input").fill(b)
        first.evaluate(
            """() => {
              const tabs = [document, window.otherTab.document];
              for (const doc of tabs) doc.getElementById('pay-button').click(); // "Pay 10 €?"
              for (const doc of tabs) doc.getElementById('confirm-pay').click();
            }"""
        )
        qrs += [shown_qr(first), shown_qr(second)]
        amounts += [round(float(x.replace(",", ".")) * 100) for x in (a, b)]
        close_qr(first)
        close_qr(second)

    assert_one_sequence(caisse, qrs, amounts)
    expect(first.get_by_test_id("balance")).to_have_text("€125.75")
    expect(second.get_by_test_id("history").locator("li")).to_have_count(4)


def test_a_tab_opened_mid_payment_waits_and_never_voids_it(new_page, caisse):
    paying = new_page()
    activate(paying, caisse)
    paying.evaluate(GATE_SIGNING)
    paying.get_by_test_id("amount-input").fill("10")
    paying.get_by_test_id("pay-button").click()
    paying.get_by_test_id("confirm-pay").click()
    paying.wait_for_function("() => window.signWaiting === true")  # reserved, lock held

    # A second tab starts now: at start it voids payments reserved but never signed
    # (a crashed app's), which must not include the one this tab is signing.
    other = paying.context.new_page()
    other.goto(paying.url)
    paying.evaluate("() => window.releaseSign()")
    first_qr = shown_qr(paying)
    wait_ready(other)
    expect(other.get_by_test_id("balance")).to_have_text("€140.50")
    other.get_by_test_id("amount-input").fill("5")
    other.get_by_test_id("pay-button").click()
    other.get_by_test_id("confirm-pay").click()
    second_qr = shown_qr(other)

    assert_one_sequence(caisse, [first_qr, second_qr], [1000, 500])
    close_qr(paying)
    expect(paying.get_by_test_id("balance")).to_have_text("€135.50")

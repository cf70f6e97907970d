"""The history says what reached the caisse (GET /api/v1/wallet/receipts), in words; the
balance stays what the wallet can spend offline (allowance − its own committed cum)."""

from __future__ import annotations

from playwright.sync_api import expect
from wallet_browser import activate, close_qr, pay

from keys.signed_request import b64url_encode
from keys.tokens import decode_token, from_qr


def receipt(qr: str, status: str, shop: str = "Épicerie A", reason: str | None = None) -> dict:
    token = decode_token(from_qr(qr))
    return {
        "cti": b64url_encode(token.credential.cti),
        "seq": token.seq,
        "amount_cents": token.amount_cents,
        "merchant_id": "m-epicerie-a",
        "merchant_name": shop,
        "scanned_at": token.iat + 5,
        "status": status,
        "reason": reason,
    }


def test_the_history_says_received_not_yet_cancelled_or_refused(new_page, caisse):
    page = new_page(locale="fr-BE")
    key = activate(page, caisse)
    qrs = []
    for amount, scanned in (("10", True), ("4", False), ("3", True), ("2", True), ("1", True)):
        qrs.append(pay(page, amount))
        close_qr(page, scanned=scanned)
    expect(page.get_by_test_id("balance")).to_have_text("134,50\u00a0€")
    caisse.receipts[key] = [
        receipt(qrs[0], "paid"),
        receipt(qrs[1], "received", shop="Boucherie B"),  # cancelled, yet a shop took it
        receipt(qrs[2], "refused", reason="STALE"),
        receipt(qrs[3], "refused", reason="SOMETHING_NEW"),
    ]
    page.locator("#refresh-button").click()
    states = page.get_by_test_id("history").get_by_test_id("payment-state")
    expect(states).to_have_text(
        [
            "pas encore reçu par la caisse",
            "refusé : la caisse ne l’a pas accepté (SOMETHING_NEW)",
            "refusé : le code était trop ancien quand il a été scanné",
            "annulé, mais scanné par Boucherie B : la caisse va vérifier",
            "reçu par Épicerie A",
        ]
    )
    expect(page.get_by_test_id("balance")).to_have_text("134,50\u00a0€")  # its own cum, still
    expect(page.get_by_test_id("history-summary")).to_have_text(
        "Dernier paiement : n° 5 · reçu par la caisse : 14,00\u00a0€"
    )
    # The latest payment is not known to the caisse: it can still be cancelled; once a
    # receipt says a till took it, it cannot.
    latest = page.get_by_test_id("history").locator("li[data-seq='5']")
    expect(latest.get_by_test_id("cancel-payment")).to_have_count(1)
    caisse.receipts[key].append(receipt(qrs[4], "received"))
    page.locator("#refresh-button").click()
    expect(latest.get_by_test_id("payment-state")).to_have_text("reçu par Épicerie A")
    expect(latest.get_by_test_id("cancel-payment")).to_have_count(0)
    pay(page, "1")
    close_qr(page)
    expect(page.get_by_test_id("balance")).to_have_text("133,50\u00a0€")

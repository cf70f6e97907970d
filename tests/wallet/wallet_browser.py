"""The wallet tests' actors: the member (activate, pay) and the shop's scanner
(screenshot -> image decoder -> verifier), driving Debian's Chromium."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from wallet_fake_caisse import FakeCaisse

from keys.verify import MemoryJournal, VerifyResult, verify_qr
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, now_s  # noqa: F401 (re-exported to the benches)

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VENDOR = ROOT / "wallet_pwa" / "vendor" / "lean-qr.js"
MERCHANT = "m-test-shop"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def wait_ready(page) -> None:
    page.wait_for_selector("html[data-ready='true']")


def activate(page, caisse: FakeCaisse) -> str:
    """Open a fresh activation link; returns the wallet's public key (b64url)."""
    page.goto(caisse.activation_url(caisse.new_code()))
    wait_ready(page)
    page.get_by_test_id("balance").wait_for()
    return next(iter(caisse.members))


def wait_offline_ready(page) -> None:
    """Wait until the service worker controls the page and holds the shell."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for _ in range(100):
        if page.evaluate("() => navigator.serviceWorker.controller !== null"):
            return
        page.wait_for_timeout(50)
    raise AssertionError("the service worker never took control of the page")


def decode_qr_image(png: bytes) -> str:
    """What a shop's camera scanner reads from the screen: the image through its pipeline."""
    from scanner.decode import decode_frame

    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    texts = decode_frame(image)
    assert texts, "no QR code found in the screenshot"
    return texts[0]


def pay(page, amount: str) -> str:
    """Type an amount, tap pay, confirm "Pay 12,34 €?", photograph the QR; returns the
    decoded QR text."""
    page.get_by_test_id("amount-input").fill(amount)
    page.get_by_test_id("pay-button").click()
    page.get_by_test_id("confirm-pay").click()
    qr = page.get_by_test_id("payment-qr")
    qr.wait_for(state="visible")
    return decode_qr_image(qr.screenshot())


def close_qr(page, *, scanned: bool = True) -> None:
    """Tap Done, then answer "Did the shop scan it?" if the wallet asks: yes keeps the
    payment, no cancels it. It does not ask when the payment can no longer be cancelled
    (a later payment, from another tab, already counts it)."""
    page.get_by_test_id("close-qr").click()
    page.get_by_test_id("payment-qr").wait_for(state="hidden")
    if page.get_by_test_id("ask-screen").is_visible():
        page.get_by_test_id("scanned-yes" if scanned else "scanned-no").click()
        page.get_by_test_id("ask-screen").wait_for(state="hidden")


def scan(
    caisse: FakeCaisse, journal: MemoryJournal, qr: str, now: int | None = None
) -> VerifyResult:
    """Verify as the till does, and journal it when OK."""
    result = verify_qr(
        qr,
        trust_list=caisse.trust_list(),
        merchant_id=MERCHANT,
        now=now_s() if now is None else now,
        journal=journal,
    )
    if result.ok:
        journal.record(result)
    return result


def violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA and best-practice violations on the page as it is now
    (the page must be opened with bypass_csp=True so axe can be injected)."""
    if not page.evaluate("() => 'axe' in window"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => `${v.id}: ${v.nodes.map(n => n.target).join(' ')}`))",
        AXE_TAGS,
    )

"""Take the wallet's screenshots into docs/img/: the balance with its history (what reached
the caisse), "Payer 12,30 € ?", the payment QR, "Le commerçant l'a-t-il scanné ?" and a
QR gone stale.

Not a test: run `.venv/bin/python tests/wallet/make_screenshots.py` after changing the
wallet's look. Uses the fake caisse and Debian's Chromium like the tests do.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402
from test_wallet_receipts import receipt  # noqa: E402
from wallet_browser import CHROMIUM, CHROMIUM_ARGS, ROOT, activate, close_qr, pay  # noqa: E402
from wallet_fake_caisse import FakeCaisse, RunningCaisse  # noqa: E402

from tests.conftest import now_s  # noqa: E402

OUT = ROOT / "docs" / "img"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with RunningCaisse(FakeCaisse()) as caisse, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(locale="fr-BE", viewport={"width": 390, "height": 780})
        page.clock.install(time=now_s())
        key = activate(page, caisse)
        qrs = []
        for amount, scanned in (("23,40", True), ("4,10", False), ("6,60", True)):
            qrs.append(pay(page, amount))
            close_qr(page, scanned=scanned)
        caisse.receipts[key] = [receipt(qrs[0], "paid", shop="Épicerie du Coin")]
        page.locator("#refresh-button").click()
        page.get_by_test_id("history").get_by_text("reçu par Épicerie du Coin").wait_for()
        page.mouse.click(5, 300)  # no focus ring in the picture
        page.screenshot(path=str(OUT / "wallet-balance.png"), full_page=True)

        page.get_by_test_id("amount-input").fill("12,30")
        page.get_by_test_id("pay-button").click()
        page.get_by_test_id("confirm-pay").wait_for()
        page.screenshot(path=str(OUT / "wallet-confirm.png"))
        page.get_by_test_id("confirm-pay").click()
        page.get_by_test_id("payment-qr").wait_for()
        page.screenshot(path=str(OUT / "wallet-qr.png"))
        page.get_by_test_id("close-qr").click()
        page.get_by_test_id("scanned-no").wait_for()
        page.screenshot(path=str(OUT / "wallet-scanned.png"))
        page.get_by_test_id("scanned-show").click()
        page.clock.fast_forward("10:00")
        page.get_by_test_id("qr-stale").wait_for()
        page.screenshot(path=str(OUT / "wallet-stale.png"))
        browser.close()
    names = ("balance", "confirm", "qr", "scanned", "stale")
    print(f"wrote {', '.join(f'wallet-{n}.png' for n in names)} in {OUT}")


if __name__ == "__main__":
    main()

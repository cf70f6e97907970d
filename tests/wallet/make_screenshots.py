"""Take the README's two wallet screenshots (balance, payment QR) into docs/img/.

Not a test: run `.venv/bin/python tests/wallet/make_screenshots.py` after changing the
wallet's look. Uses the fake caisse and Debian's Chromium like the tests do.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from playwright.sync_api import sync_playwright  # noqa: E402
from wallet_browser import CHROMIUM, CHROMIUM_ARGS, ROOT, activate, close_qr  # noqa: E402
from wallet_fake_caisse import FakeCaisse, RunningCaisse  # noqa: E402

OUT = ROOT / "docs" / "img"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with RunningCaisse(FakeCaisse()) as caisse, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(locale="fr-BE", viewport={"width": 390, "height": 780})
        activate(page, caisse)
        for amount in ("23,40", "6,60"):
            page.get_by_test_id("amount-input").fill(amount)
            page.get_by_test_id("pay-button").click()
            page.get_by_test_id("confirm-pay").click()
            close_qr(page)
        page.mouse.click(5, 300)  # no focus ring in the picture
        page.screenshot(path=str(OUT / "wallet-balance.png"), full_page=True)
        page.get_by_test_id("amount-input").fill("12,34")
        page.get_by_test_id("pay-button").click()
        page.get_by_test_id("confirm-pay").click()
        page.get_by_test_id("payment-qr").wait_for()
        page.screenshot(path=str(OUT / "wallet-qr.png"))
        browser.close()
    print(f"wrote {OUT / 'wallet-balance.png'} and {OUT / 'wallet-qr.png'}")


if __name__ == "__main__":
    main()

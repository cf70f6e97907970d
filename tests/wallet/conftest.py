"""Fixtures of the wallet's browser tests: Debian's Chromium driven by Playwright (never
a downloaded browser) and a fake caisse on 127.0.0.1 serving wallet_pwa/."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # wallet_browser, wallet_fake_caisse

from wallet_browser import AXE, CHROMIUM, VENDOR
from wallet_fake_caisse import FakeCaisse, RunningCaisse


@pytest.fixture(scope="session")
def browser(service_missing, launch_chromium):
    if not CHROMIUM.exists():
        service_missing("Debian chromium is not installed (apt-get install chromium)")
    if not VENDOR.exists() or not AXE.exists():
        service_missing("the wallet's npm packages are not installed (npm ci)")
    if shutil.which("node") is None:
        service_missing("node is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield browser
        browser.close()


@pytest.fixture
def caisse() -> Iterator[FakeCaisse]:
    with RunningCaisse(FakeCaisse()) as running:
        yield running


def expected(console_text: str) -> bool:
    """An HTTP error the test provokes on purpose (refused code, clock skew) is logged by
    Chromium; only script errors and CSP violations fail a test."""
    return console_text.startswith("Failed to load resource: the server responded with a status")


@pytest.fixture
def new_page(browser):
    """Open pages in fresh contexts (empty storage); every console error, in any tab of
    the context, fails the test. ``page.context.new_page()`` opens a second tab."""
    contexts = []
    errors: list[str] = []

    def watch(page) -> None:
        page.on(
            "console",
            lambda m: m.type == "error" and not expected(m.text) and errors.append(m.text),
        )
        page.on("pageerror", lambda e: errors.append(str(e)))

    def open_page(locale: str = "en-BE", **options):
        options.setdefault("viewport", {"width": 420, "height": 860})
        context = browser.new_context(locale=locale, **options)
        contexts.append(context)
        context.on("page", watch)  # every tab of the context: new_page() and popups
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], errors

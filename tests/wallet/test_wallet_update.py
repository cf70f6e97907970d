"""A new version of the wallet replaces the old one on the member's phone: the new service
worker takes over, the page reloads into the new shell, the old cache is deleted, and
the member's key, credential, counters and history are all still there."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from wallet_browser import activate, close_qr, pay, scan, wait_offline_ready, wait_ready
from wallet_fake_caisse import WALLET_DIR, FakeCaisse, RunningCaisse

from keys.tokens import decode_token, from_qr
from keys.verify import MemoryJournal


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


def next_version(wallet: Path, *, schema_step: str | None = None) -> None:
    """The next release: a changed page and a changed module, and sw.js stamped anew;
    with ``schema_step``, also the next version of the wallet's database."""
    edit(wallet / "index.html", "<body>", '<body data-shell="next">')
    edit(wallet / "js" / "i18n.js", "pay: 'Pay',", "pay: 'Pay now',")
    if schema_step:
        edit(
            wallet / "js" / "store.js",
            "];\nconst DB_VERSION",
            f"  {schema_step},\n];\nconst DB_VERSION",
        )
    subprocess.run(["node", str(wallet / "tools" / "stamp.mjs")], check=True, capture_output=True)


def cache_names(page) -> list[str]:
    return page.evaluate("() => caches.keys()")


def sw_version(wallet: Path) -> str:
    line = next(x for x in (wallet / "sw.js").read_text().splitlines() if "const VERSION" in x)
    return line.split("'")[1]


def test_a_new_version_takes_over_and_keeps_the_members_data(new_page, tmp_path):
    wallet = tmp_path / "wallet_pwa"
    shutil.copytree(WALLET_DIR, wallet)
    shutil.copytree(WALLET_DIR.parent / "keys" / "js", tmp_path / "keys" / "js")  # its core
    old_cache = f"ssa-wallet-{sw_version(wallet)}"
    with RunningCaisse(FakeCaisse(wallet_dir=wallet)) as caisse:
        page = new_page()
        activate(page, caisse)
        wait_offline_ready(page)
        journal = MemoryJournal()
        first = scan(caisse, journal, pay(page, "10"))
        assert first.ok, first.message
        close_qr(page)
        expect(page.get_by_test_id("balance")).to_have_text("€140.50")
        assert cache_names(page) == [old_cache]

        next_version(wallet)
        new_cache = f"ssa-wallet-{sw_version(wallet)}"
        assert new_cache != old_cache
        page.reload()  # opens the old shell, finds the new worker, which takes over
        expect(page.locator("body")).to_have_attribute("data-shell", "next", timeout=15_000)
        wait_ready(page)
        expect(page.get_by_test_id("pay-button")).to_have_text("Pay now")
        page.wait_for_function(
            "name => caches.keys().then(k => k.length === 1 && k[0] === name)", arg=new_cache
        )

        # Everything the member had is still there, and the new shell works offline.
        caisse.offline = True
        page.context.set_offline(True)
        page.reload()
        wait_ready(page)
        expect(page.locator("body")).to_have_attribute("data-shell", "next")
        expect(page.get_by_test_id("balance")).to_have_text("€140.50")
        expect(page.get_by_test_id("history").locator("li")).to_have_count(1)
        expect(page.get_by_test_id("last-synced")).to_have_text(re.compile(r"^Last updated: "))
        second_qr = pay(page, "5")
        second = scan(caisse, journal, second_qr)  # the same key signed it: verified OK
        assert second.ok, second.message
        token = decode_token(from_qr(second_qr))
        assert (token.seq, token.cumulative_cents) == (2, 1500)


@contextmanager
def showing_a_qr(new_page, tmp_path: Path) -> Iterator[tuple[Path, FakeCaisse, Any, str]]:
    """A copy of the wallet, activated and ready offline, showing a 3 € QR at the till."""
    wallet = tmp_path / "wallet_pwa"
    shutil.copytree(WALLET_DIR, wallet)
    shutil.copytree(WALLET_DIR.parent / "keys" / "js", tmp_path / "keys" / "js")  # its core
    with RunningCaisse(FakeCaisse(wallet_dir=wallet)) as caisse:
        page = new_page()
        activate(page, caisse)
        wait_offline_ready(page)
        yield wallet, caisse, page, pay(page, "3")


def test_an_update_never_takes_the_qr_off_the_screen(new_page, tmp_path):
    with showing_a_qr(new_page, tmp_path) as (wallet, caisse, page, qr):
        next_version(wallet)  # ...when the phone finds the new version
        new_cache = f"ssa-wallet-{sw_version(wallet)}"
        page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => r.update())")
        page.wait_for_function(
            "name => caches.keys().then(k => k.length === 1 && k[0] === name)", arg=new_cache
        )
        page.wait_for_timeout(300)  # time enough for a wrong reload to start
        expect(page.get_by_test_id("payment-qr")).to_be_visible()
        assert page.locator("body").get_attribute("data-shell") is None  # still the old page
        assert scan(caisse, MemoryJournal(), qr).ok

        close_qr(page)  # the member is done: now the wallet moves to the new shell
        expect(page.locator("body")).to_have_attribute("data-shell", "next", timeout=15_000)
        wait_ready(page)
        expect(page.get_by_test_id("balance")).to_have_text("€147.50")


def test_a_tab_showing_a_qr_lets_another_tab_upgrade_the_database(new_page, tmp_path):
    # The old tab holds the database at version 1, its QR on screen.
    with showing_a_qr(new_page, tmp_path) as (wallet, caisse, old_tab, qr):
        next_version(
            wallet,
            schema_step="(db, tx) => tx.objectStore('payments').createIndex('byCti', 'ctiHex')",
        )
        new_tab = old_tab.context.new_page()
        new_tab.goto(old_tab.url.split("#")[0])
        # The new tab moves to the new shell, whose upgrade needs the old tab's connection.
        expect(new_tab.locator("body")).to_have_attribute("data-shell", "next", timeout=15_000)
        wait_ready(new_tab)
        expect(new_tab.get_by_test_id("balance")).to_have_text("€147.50")
        assert new_tab.evaluate("""() => new Promise((resolve) => {
            const req = indexedDB.open('ssa-wallet');
            req.onsuccess = () => {
              const db = req.result;
              resolve([db.version, [...db.transaction('payments').objectStore('payments')
                                       .indexNames]]);
              db.close();
            };
        })""") == [2, ["byCti"]]  # fmt: skip

        expect(old_tab.get_by_test_id("payment-qr")).to_be_visible()  # never taken away
        assert scan(caisse, MemoryJournal(), qr).ok
        close_qr(old_tab)  # the member is done: the old tab moves to the new version too
        expect(old_tab.locator("body")).to_have_attribute("data-shell", "next", timeout=15_000)
        wait_ready(old_tab)
        expect(old_tab.get_by_test_id("balance")).to_have_text("€147.50")
        expect(old_tab.get_by_test_id("history").locator("li")).to_have_count(1)

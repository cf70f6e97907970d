"""When the caisse no longer recognises the wallet's key (the member was enrolled again on
another phone: 401 UNKNOWN_KEY; or revoked: 403 KEY_REVOKED), the wallet says so in the
member's language, lastingly, and keeps everything it holds: nothing wiped, no crash."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from wallet_browser import activate, close_qr, pay, scan, violations, wait_ready

from keys.tokens import decode_token, from_qr
from keys.verify import MemoryJournal

NOTICE = {
    "en": "The caisse no longer recognises this wallet",
    "fr": "La caisse ne reconnaît plus ce portefeuille",
    "nl": "De kas herkent deze portefeuille niet meer",
}


def stored(page) -> dict:
    """What IndexedDB holds, read by the wallet's own store module."""
    return page.evaluate(
        """async () => {
          const store = await import('./js/store.js');
          const [cred] = await store.listCredentials();
          return {
            identity: Boolean(await store.getMeta('identity')),
            seq: cred.seq, cum: cred.cum,
            payments: (await store.listPayments(cred.ctiHex)).length,
          };
        }"""
    )


@pytest.mark.parametrize("refusal", ["re-enrolled (401)", "revoked (403)"])
def test_a_refused_key_is_explained_and_nothing_is_lost(new_page, caisse, refusal):
    # bypass_csp only so the test can inject axe-core; the wallet itself runs under CSP.
    page = new_page(bypass_csp=True)
    key = activate(page, caisse)
    journal = MemoryJournal()
    assert scan(caisse, journal, pay(page, "10")).ok
    close_qr(page)
    notice = page.get_by_test_id("key-refused")
    expect(notice).to_be_hidden()
    before = stored(page)

    if refusal.startswith("re-enrolled"):
        del caisse.members[key]  # the caisse now knows another phone's key
    else:
        caisse.revoked.add(key)
    page.reload()  # the quiet refresh at start is refused
    wait_ready(page)
    expect(notice).to_contain_text(NOTICE["en"])
    expect(notice).to_have_attribute("role", "alert")
    expect(page.get_by_test_id("balance")).to_have_text("€140.50")
    expect(page.get_by_test_id("history").locator("li")).to_have_count(1)
    assert stored(page) == before
    assert violations(page) == [], "key refused"

    page.locator("#refresh-button").click()  # asking again: still refused, still no crash
    expect(notice).to_contain_text(NOTICE["en"])
    expect(page.get_by_role("alert").filter(has_text="not answering")).to_have_count(0)

    for lang in ("fr", "nl"):
        page.get_by_test_id("language").select_option(lang)
        expect(notice).to_contain_text(NOTICE[lang])
        assert violations(page) == [], f"key refused ({lang})"

    # Offline the notice stays (it is stored), and the offline data still pays.
    caisse.offline = True
    page.context.set_offline(True)
    page.reload()
    wait_ready(page)
    expect(notice).to_contain_text(NOTICE["nl"])
    qr = pay(page, "1")
    token = decode_token(from_qr(qr))
    assert (token.seq, token.cumulative_cents) == (2, 1100)
    close_qr(page)

    # Once the caisse accepts the key again, the notice goes away.
    caisse.offline = False
    page.context.set_offline(False)
    caisse.members[key] = decode_token(caisse.members_credentials[key][0]).sub
    caisse.revoked.discard(key)
    page.locator("#refresh-button").click()
    expect(notice).to_be_hidden()
    assert stored(page)["seq"] == 2

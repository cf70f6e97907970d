"""The member's journey in a real Chromium: activate from the caisse's link, pay offline,
and the shop's scanner (image decoder + Python verifier) accepts exactly what SPEC says."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from wallet_browser import activate, close_qr, pay, scan, wait_offline_ready, wait_ready

from keys.tokens import decode_token, from_qr
from keys.verify import MemoryJournal
from tests.conftest import now_s


def payment_of(qr: str):
    return decode_token(from_qr(qr))


def test_member_pays_offline_and_the_scanner_accepts_the_sequence(new_page, caisse):
    page = new_page()
    page.goto(f"{caisse.base_url}/wallet/manifest.webmanifest")  # same origin, no worker yet
    page.evaluate("() => caches.open('ssa-wallet-0ld').then(() => true)")
    activate(page, caisse)
    expect(page.get_by_test_id("balance")).to_have_text("€150.50")
    assert "#activate" not in page.url  # the one-time code is not kept in history
    wait_offline_ready(page)

    caisse.offline = True  # the network is cut: the server refuses everything
    page.context.set_offline(True)
    page.reload()
    wait_ready(page)
    expect(page.get_by_test_id("balance")).to_have_text("€150.50")
    (shell,) = page.evaluate("() => caches.keys()")  # the versioned shell; the old one is gone
    assert shell.startswith("ssa-wallet-") and shell != "ssa-wallet-0ld"

    journal = MemoryJournal()
    first_qr = pay(page, "12,34")
    first = scan(caisse, journal, first_qr)
    assert first.ok, first.message
    token = payment_of(first_qr)
    assert (first.amount_cents, token.seq, token.cumulative_cents) == (1234, 1, 1234)
    expect(page.get_by_test_id("qr-amount")).to_have_text("€12.34")
    close_qr(page)
    expect(page.get_by_test_id("balance")).to_have_text("€138.16")

    second_qr = pay(page, "5")
    second = scan(caisse, journal, second_qr)
    assert second.ok, second.message
    token = payment_of(second_qr)
    assert (token.amount_cents, token.seq, token.cumulative_cents) == (500, 2, 1734)
    close_qr(page)
    expect(page.get_by_test_id("balance")).to_have_text("€133.16")
    expect(page.get_by_test_id("history").locator("li")).to_have_count(2)


def test_an_amount_above_the_balance_is_refused_before_any_token(new_page, caisse):
    page = new_page()
    activate(page, caisse)
    page.get_by_test_id("amount-input").fill("150,51")
    page.get_by_test_id("pay-button").click()
    error = page.locator("#amount-error")
    expect(error).to_have_text("This amount is more than your balance (€150.50).")
    expect(page.get_by_test_id("amount-input")).to_have_attribute("aria-invalid", "true")
    page.get_by_test_id("amount-input").fill("12,345")
    expect(error).to_be_hidden()  # typing clears the old error
    page.get_by_test_id("pay-button").click()
    expect(error).to_have_text("Type an amount such as 12.34.")
    expect(page.get_by_test_id("payment-qr")).to_be_hidden()
    assert (
        page.evaluate(
            """async () => {
          const store = await import('./js/store.js');
          const [cred] = await store.listCredentials();
          return (await store.listPayments(cred.ctiHex)).length;
        }"""
        )
        == 0
    )  # nothing was reserved, let alone signed


def test_reload_and_crash_mid_payment_never_reuse_a_seq(new_page, caisse):
    page = new_page()
    activate(page, caisse)
    journal = MemoryJournal()
    qr1 = pay(page, "10")
    page.reload()  # killed while the QR was on screen
    wait_ready(page)
    expect(page.get_by_test_id("balance")).to_have_text("€140.50")

    # Crash after seq/cum were reserved but before the QR existed: the seq is spent,
    # the amount given back (no QR was ever shown, so no shop can hold it).
    page.evaluate(
        """async () => {
          const store = await import('./js/store.js');
          const [cred] = await store.listCredentials();
          await store.reservePayment(cred.ctiHex, 700, Math.floor(Date.now() / 1000));
        }"""
    )
    page.reload()
    wait_ready(page)
    expect(page.get_by_test_id("balance")).to_have_text("€140.50")

    # Crash after the QR was recorded but before it showed: it counts (it may be shown).
    page.evaluate(
        """async () => {
          const store = await import('./js/store.js');
          const { Wallet } = await import('./js/wallet.js');
          const wallet = await new Wallet().load();
          await wallet.pay(300);
        }"""
    )
    page.reload()
    wait_ready(page)
    expect(page.get_by_test_id("balance")).to_have_text("€137.50")

    qr4 = pay(page, "2,50")
    seqs = [(t.seq, t.cumulative_cents) for t in map(payment_of, (qr1, qr4))]
    assert seqs == [(1, 1000), (4, 1550)]
    for qr in (qr1, qr4):
        result = scan(caisse, journal, qr)
        assert result.ok, result.message


def test_spent_or_wrong_code_gets_a_clear_message_in_the_members_language(new_page, caisse):
    page = new_page(locale="fr-BE")
    page.goto(caisse.activation_url("not-a-real-code"))
    wait_ready(page)
    expect(page.get_by_role("alert")).to_contain_text("code d’activation n’est pas valable")
    expect(page.get_by_test_id("balance")).to_be_hidden()


def test_language_switch_reformats_amounts_and_is_remembered(new_page, caisse):
    page = new_page(locale="fr-BE")
    activate(page, caisse)
    balance = page.get_by_test_id("balance")
    expect(balance).to_have_text(re.compile(r"^150,50[\s\u00a0\u202f]€$"))  # fr-BE
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_test_id("language").select_option("nl")
    expect(page.get_by_test_id("pay-button")).to_have_text("Betalen")
    expect(balance).to_have_text(re.compile(r"^€[\s\u00a0\u202f]150,50$"))  # nl-BE
    page.reload()
    wait_ready(page)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_test_id("pay-button")).to_have_text("Betalen")


def test_the_wallet_moves_to_the_new_month_by_itself(new_page, caisse):
    page = new_page()
    key = activate(page, caisse)
    (first,) = caisse.members_credentials[key]
    nbf = decode_token(first).exp
    caisse.members_credentials[key].append(
        caisse.credential(key, nbf=nbf, exp=nbf + 30 * 86400, allowance=20000)
    )
    caisse.shift_s = 2 * 3600  # a month boundary later (this phone's clock did not move)
    page.locator("#refresh-button").click()
    expect(page.get_by_test_id("balance")).to_have_text("€200.00")
    qr = pay(page, "20")
    result = scan(caisse, MemoryJournal(), qr, now=caisse.now())
    assert result.ok, result.message
    assert payment_of(qr).seq == 1  # a new credential starts its own sequence


def test_a_phone_clock_off_by_minutes_still_makes_acceptable_tokens(new_page, caisse):
    journal = MemoryJournal()
    for shift, server_date in ((240, False), (-540, False), (1200, True), (-1800, True)):
        caisse.send_date = server_date
        page = new_page()
        page.add_init_script(
            f"""(() => {{
              const shift = {shift * 1000}, Real = Date;
              class Shifted extends Real {{
                constructor(...a) {{ if (a.length) super(...a); else super(Real.now() + shift); }}
                static now() {{ return Real.now() + shift; }}
              }}
              globalThis.Date = Shifted;
            }})()"""
        )
        activate(page, caisse)
        qr = pay(page, "1")
        result = scan(caisse, journal, qr, now=now_s())
        assert result.ok, (shift, result.code, result.message)
        iat = payment_of(qr).iat
        assert abs(iat - now_s()) <= (300 if server_date else abs(shift) + 5)


def test_without_webcrypto_ed25519_the_noble_fallback_pays(new_page, caisse):
    page = new_page()
    page.add_init_script(
        """(() => {
          const generateKey = crypto.subtle.generateKey.bind(crypto.subtle);
          crypto.subtle.generateKey = (alg, ...rest) =>
            String(alg?.name ?? alg).toLowerCase() === 'ed25519'
              ? Promise.reject(new DOMException('unsupported', 'NotSupportedError'))
              : generateKey(alg, ...rest);
        })()"""
    )
    activate(page, caisse)
    kind = page.evaluate(
        "async () => (await (await import('./js/member_key.js')).loadIdentity()).kind"
    )
    assert kind == "noble"
    journal = MemoryJournal()
    for amount, seq in (("4,20", 1), ("1", 2)):
        qr = pay(page, amount)
        result = scan(caisse, journal, qr)
        assert result.ok, result.message
        assert payment_of(qr).seq == seq
        close_qr(page)

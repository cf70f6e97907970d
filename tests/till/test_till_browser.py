"""The till in real Chromium, served by a real caisse server: every protocol vector through
the shared core as the browser runs it (the same lines as keys/verify.py), the screen's
camera states, accessibility (axe-core) in fr/nl/en on a 360-px-wide phone, nothing loaded
from another origin."""

from __future__ import annotations

import sys

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import launch_chromium, scan_vector_files
from tests.till.test_js_verifier import _vector, python_lines
from tests.till.till_browser import ROOT, watch

sys.path.insert(0, str(ROOT / "tests" / "wallet"))
from wallet_browser import violations, wait_ready

JUDGE_IN_PAGE = """async (vectors) => {
  const { fromHex } = await import('/keys/js/bytes.js');
  const { jsonDumps } = await import('/keys/js/pyformat.js');
  const { TrustListInvalid, openTrustList } = await import('/keys/js/trust_list.js');
  const { MemoryJournal, verifyQr } = await import('/keys/js/verify.js');
  const out = [];
  for (const v of vectors) {
    let trustList;
    try {
      trustList = await openTrustList(fromHex(v.trust_list), fromHex(v.root));
    } catch (error) {
      if (!(error instanceof TrustListInvalid)) throw error;
      out.push([jsonDumps({ code: 'TRUST_LIST_INVALID', message: error.message })]);
      continue;
    }
    const journal = new MemoryJournal();
    const lines = [];
    for (const [now, qr] of v.scans) {
      const result = await verifyQr(qr, { trustList, merchantId: v.merchant, now, journal });
      journal.record(result);
      lines.push(jsonDumps(result.toJSON()));
    }
    out.push(lines);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def playwright(chromium_ready):
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def chromium(playwright):
    """Chromium with a camera (its built-in fake one), not granted to any page."""
    browser = launch_chromium(playwright, ("--use-fake-device-for-media-stream",))
    yield browser
    browser.close()


def test_every_vector_in_chromium_gives_the_python_lines(chromium, real_server) -> None:
    page = chromium.new_context().new_page()
    errors: list[str] = []
    watch(page, errors, real_server.url)
    page.goto(real_server.url + "/till/")
    wait_ready(page)
    vectors, expected = [], []
    for path in scan_vector_files():
        tl, root, merchant, scans = _vector(path)
        vectors.append({"trust_list": tl.hex(), "root": root.hex(), "merchant": merchant,
                        "scans": scans})  # fmt: skip
        expected.append(python_lines(tl, root, merchant, scans))
    assert page.evaluate(JUDGE_IN_PAGE, vectors) == expected
    page.context.close()
    assert errors == []


def _till(chromium, real_server, locale: str, **options):
    shop = real_server.admin("merchant", "add", "--name", "Étal", "--iban", "BE71096123456769")
    context = chromium.new_context(locale=locale, viewport={"width": 360, "height": 740},
                                   bypass_csp=True, **options)  # fmt: skip
    page = context.new_page()
    page.goto(f"{real_server.url}/till/#enrol={shop['enrollment_code']}")
    wait_ready(page)
    page.get_by_test_id("status-line").wait_for()
    return page


def test_without_permission_the_till_says_how_to_grant_the_camera(chromium, real_server) -> None:
    page = _till(chromium, real_server, "en-BE")  # no camera permission granted
    state = page.get_by_test_id("camera-state")
    expect(state).to_have_attribute("data-state", "denied", timeout=15_000)
    expect(state).to_contain_text("Permissions › Camera › Allow")
    expect(page.get_by_test_id("camera-retry")).to_be_visible()
    expect(page.get_by_test_id("wedge-input")).to_be_enabled()  # the reader still works
    page.context.close()


def test_with_no_camera_at_all_the_till_says_so(playwright, real_server) -> None:
    browser = launch_chromium(playwright)  # this machine has no camera
    page = _till(browser, real_server, "nl-BE", permissions=["camera"])
    state = page.get_by_test_id("camera-state")
    expect(state).to_have_attribute("data-state", "none", timeout=15_000)
    expect(state).to_contain_text("Geen camera")
    browser.close()


@pytest.mark.parametrize("locale", ["fr-BE", "nl-BE", "en-BE"])
def test_axe_finds_nothing_on_a_360_px_phone(chromium, real_server, locale: str) -> None:
    page = _till(chromium, real_server, locale)
    expect(page.get_by_test_id("camera-state")).to_have_attribute(
        "data-state", "denied", timeout=15_000
    )
    assert violations(page) == []
    page.get_by_test_id("wedge-input").fill("SSA1:NOT-A-CODE")
    page.get_by_test_id("wedge-input").press("Enter")
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "refused")
    assert violations(page) == []
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide: it scrolls sideways on a phone"
    box = page.get_by_test_id("next-button").bounding_box()
    assert box["y"] + box["height"] <= 740 and box["height"] >= 44  # in reach of a thumb
    page.context.close()


def test_a_camera_that_stops_is_said_lost_and_comes_back(chromium, real_server) -> None:
    page = _till(chromium, real_server, "fr-BE", permissions=["camera"])
    state = page.get_by_test_id("camera-state")
    expect(state).to_have_attribute("data-state", "on", timeout=15_000)
    page.evaluate(
        "() => document.getElementById('camera-view').srcObject.getVideoTracks()[0]"
        ".dispatchEvent(new Event('ended'))"
    )  # what a phone does when another app takes the camera, or its driver fails
    expect(state).to_have_attribute("data-state", "lost")
    expect(state).to_contain_text("La caméra s’est arrêtée")
    expect(state).to_have_attribute("data-state", "on", timeout=15_000)  # retried by itself
    page.context.close()


IDB_JOURNAL = """async ({ trustList, root, merchant, scans }) => {
  const { fromHex } = await import('/keys/js/bytes.js');
  const { openTrustList } = await import('/keys/js/trust_list.js');
  const store = await import('/till/js/store.js');
  const list = await openTrustList(fromHex(trustList), fromHex(root));
  const codes = [];
  for (const [now, qr] of scans) {
    codes.push((await store.judge(qr, { trustList: list, merchantId: merchant, now })).code);
  }
  const unsent = await store.unsentCount();
  return { codes, unsent, batch: await store.pendingBatch(scans[0][0]) };
}"""


def test_the_indexeddb_journal_catches_replays_and_double_spending(chromium, real_server) -> None:
    """Rule 13 against the till's own IndexedDB journal, across a reload of the page."""
    from keys.sample import SampleCaisse
    from tests.conftest import now_s

    now = now_s()
    caisse = SampleCaisse(now=now)
    member = caisse.member()
    first, second = member.pay(100, iat=now), member.pay(200, iat=now)
    member.seq, member.cumulative_cents = 1, 100
    fork = member.pay(50, iat=now)  # another seq 2 of the same credential
    member.seq, member.cumulative_cents = 2, 150
    contradicting = member.pay(10, iat=now)  # seq 3 whose cum leaves out seq 2's 200
    voucher = caisse.voucher(500)
    page = chromium.new_context().new_page()
    page.goto(real_server.url + "/till/")
    wait_ready(page)
    args = {"trustList": caisse.signed_trust_list().hex(), "root": caisse.root_public_key.hex(),
            "merchant": "m-idb"}  # fmt: skip
    got = page.evaluate(IDB_JOURNAL, {**args, "scans": [(now, first), (now, second), (now, first),
                                                        (now, voucher)]})  # fmt: skip
    assert got["codes"] == ["OK", "OK", "REPLAY", "OK"]
    batch = got["batch"]  # made, committed, not yet sent: a retry must carry the same id
    assert [s["result"] for s in batch["scans"]] == ["OK", "OK", "OK"]
    assert {s["trust_list_seq"] for s in batch["scans"]} == {caisse.seq}
    page.reload()
    wait_ready(page)
    later = [(now, fork), (now, contradicting), (now, voucher), (now, "SSA1:x")]
    got = page.evaluate(IDB_JOURNAL, {**args, "scans": later})
    assert got["codes"] == ["DOUBLE_SPEND", "DOUBLE_SPEND", "REPLAY", "MALFORMED"]
    assert got["unsent"] == 6  # every judged scan but the REPLAYs waits for the server
    assert got["batch"] == batch  # the unsent batch again, unchanged, after a reload
    page.context.close()

"""A till the caisse revoked, in a real round trip with the project's own server: `sync`
says so in the till's language and exits 4, the till refuses every code (headless JSON
and the Tk window under Xvfb, photographed), and its unsent scans are kept."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from keys.b64url import b64url_encode
from scanner.journal import Journal
from scanner.messages import Messages
from scanner.status import screen, status
from scanner.store import ScannerStore
from scanner.till import Till, TrustListHolder
from scanner.till_window import BAND_COLOURS, COLOURS, TillWindow
from tests.conftest import now_s

from .test_sync_with_server import _enrolled, _member, _scanner, _verdicts


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


@pytest.fixture
def revoked_till(real_server, tmp_path: Path):
    """An enrolled till with one accepted, unsent scan, whose key the caisse then revoked."""
    data = tmp_path / "till"
    merchant_id = _enrolled(real_server, data)
    member = _member(real_server)
    first = _scanner("run", "--data", str(data), "--headless", "--no-sync", "--lang", "fr",
                     stdin=member.pay(420, iat=now_s()) + "\n")  # fmt: skip
    (ok,) = _verdicts(first)
    assert (ok["code"], ok["message"]) == ("OK", "Accepté")
    key = bytes.fromhex(ScannerStore(data).config().merchant_public_key)
    real_server.admin("merchant", "revoke-device", "--merchant", merchant_id,
                      "--key", b64url_encode(key))  # fmt: skip
    return data, merchant_id, member


def test_a_revoked_till_says_so_refuses_and_keeps_its_scans(revoked_till) -> None:
    data, merchant_id, member = revoked_till
    refused = _scanner("sync", "--data", str(data), "--lang", "fr")
    assert refused.returncode == 4, refused.stderr
    assert refused.stdout == "" and "Traceback" not in refused.stderr
    assert "Cette caisse a été désactivée par la caisse SSA" in refused.stderr
    assert f"numéro de commerce : {merchant_id}" in refused.stderr
    assert "Les scans non envoyés (1) sont gardés" in refused.stderr

    doc = json.loads(_scanner("status", "--data", str(data), "--json").stdout)
    assert doc["standing"]["accepting"] is False
    assert doc["standing"]["refused_by_caisse"] == "KEY_REVOKED"
    assert doc["unsent_scans"] == 1

    # Every code is refused now, in the till's language, and nothing is journaled.
    run = _scanner("run", "--data", str(data), "--headless", "--no-sync", "--lang", "nl",
                   stdin=member.pay(100, iat=now_s()) + "\n")  # fmt: skip
    assert run.returncode == 0, run.stderr
    (line,) = _verdicts(run)
    assert line["code"] == "TILL_BLOCKED" and line["reason"] == "KEY_REVOKED"
    assert line["message"] == "Deze kassa is uitgeschakeld: aanvaard deze code niet."
    assert "Deze kassa werd door de SSA-kas uitgeschakeld" in run.stderr  # said at start too
    text = _scanner("status", "--data", str(data), "--lang", "en")
    assert "This till was deactivated by the SSA caisse" in text.stdout
    assert "Unsent scans: 1" in text.stdout
    assert "This till accepts payments." not in text.stdout
    doc = json.loads(_scanner("status", "--data", str(data), "--json").stdout)
    assert doc["unsent_scans"] == 1 and doc["scans"] == {"OK": 1}


def test_the_window_of_a_revoked_till_shows_a_red_band_and_refuses(
    revoked_till, display, tmp_path: Path
) -> None:
    from PIL import ImageGrab

    data, merchant_id, member = revoked_till
    assert _scanner("sync", "--data", str(data)).returncode == 4
    store = ScannerStore(data)
    config = store.config()
    journal = Journal(store.journal_path)
    trust_lists = TrustListHolder(store.trust_list())
    t = Messages("fr")

    def current():
        now = int(time.time())
        return screen(status(config, journal, trust_lists.current, now), now, t)

    window = TillWindow(
        Till(journal, config.merchant_id, trust_lists), frames=None, decode=lambda f: [],
        messages=t, status=current,
    )  # fmt: skip
    window.root.geometry("1000x720+0+0")
    event = window.scan(member.pay(230, iat=now_s()), "wedge")
    assert event is not None and event.code == "TILL_BLOCKED"
    for _ in range(30):
        window.root.update()
        time.sleep(0.03)
    assert window.band.winfo_ismapped()
    assert window.band.cget("text").startswith("Cette caisse a été désactivée")
    assert merchant_id in window.band_detail.cget("text")
    assert window.verdict.cget("text") == "Refusé"
    assert window.detail.cget("text") == "Cette caisse est désactivée : n'acceptez pas ce code."
    assert window.video.cget("text") == "Pas de caméra : scannez les codes avec le lecteur."

    # The picture on the X screen, as the shopkeeper sees it.
    x, y = window.root.winfo_rootx(), window.root.winfo_rooty()
    w, h = window.root.winfo_width(), window.root.winfo_height()
    shot = ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay=window.root.winfo_screen())
    shot.save(tmp_path / "revoked-till.png")
    band_y = window.band.winfo_y() + window.band.winfo_height() // 2
    verdict_y = window.verdict.winfo_y() + window.verdict.winfo_height() // 2
    assert shot.getpixel((5, band_y))[:3] == _hex_rgb(BAND_COLOURS["error"][0])
    assert shot.getpixel((5, verdict_y))[:3] == _hex_rgb(COLOURS["refused"][0])
    window.close()
    assert journal.unsent_count() == 1  # the scan waits for `ssa-scanner handover`
    journal.close()

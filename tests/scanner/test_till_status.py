"""What the till says about itself, at pinned clocks: the trust list's age bands (fine,
amber past the caisse's refresh interval plus a margin, red once expired), today's
takings, `ssa-scanner status` in words and as JSON, the enrolment passphrase, the
catalogues, and a camera that is not there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from keys.sample import SampleCaisse
from keys.verify import ResultCode
from scanner import standing
from scanner.camera import CameraState, LiveSource
from scanner.journal import Journal
from scanner.messages import LANGUAGES, Messages, _catalogue
from scanner.status import STALE_MARGIN_S, age_words, local_midnight, report, screen, status
from scanner.store import ScannerStore
from scanner.till import Till, TrustListHolder
from scanner.till_window import BAND_COLOURS, TillWindow

from .test_till_window import _pump

ROOT = Path(__file__).resolve().parents[2]
DAY, HOUR = 86_400, 3600


@pytest.fixture
def brussels(monkeypatch):
    """The till's own time zone, pinned (local midnight, local times in words)."""
    monkeypatch.setenv("TZ", "Europe/Brussels")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _doc(store: ScannerStore, journal: Journal, at: int) -> dict:
    return status(store.config(), journal, store.trust_list(), at)


STALE_25H = "Liste non mise à jour depuis 25 h — connectez la caisse à Internet."
STALE_2D = "Liste non mise à jour depuis 2 jours — connectez la caisse à Internet."
EXPIRED_2H = "Liste de confiance périmée depuis 2 h : tous les paiements sont refusés."


@pytest.mark.parametrize(
    ("after", "level", "band"),
    [
        (HOUR, "ok", None),
        (DAY + STALE_MARGIN_S - 60, "ok", None),  # within the caisse's refresh, plus margin
        (DAY + STALE_MARGIN_S + 60, "warn", STALE_25H),
        (2 * DAY + 5 * HOUR, "warn", STALE_2D),
        (7 * DAY + 3 * HOUR, "error", EXPIRED_2H),  # the sample list lives 7 days and an hour
    ],
)
def test_the_trust_list_age_bands(scanner_store, caisse, brussels, after, level, band) -> None:
    issued = caisse.trust_list().issued_at
    journal = Journal(scanner_store.journal_path)
    shown = screen(_doc(scanner_store, journal, issued + after), issued + after, Messages("fr"))
    assert (shown.level, shown.band) == (level, band)
    assert shown.line.startswith(f"Liste de confiance d'il y a {age_words(after, Messages('fr'))}")
    if level == "warn":  # still accepting: the caisse honours an OK given with this list
        assert shown.band_detail.startswith("Les paiements sont encore acceptés jusqu'au ")
        assert "2026" in shown.band_detail or "20" in shown.band_detail
    till = Till(journal, "m-till", TrustListHolder(scanner_store.trust_list()),
                clock=lambda: issued + after)  # fmt: skip
    event = till.offer(caisse.member().pay(500, iat=issued + after), "wedge")
    expected = ResultCode.TRUST_LIST_EXPIRED if level == "error" else ResultCode.OK
    assert event.result.code is expected
    if level == "error":
        assert event.to_json(Messages("fr"))["message"] == (
            "La liste des clés de confiance est périmée : connectez-vous à internet pour la "
            "mettre à jour."
        )


def test_the_refresh_interval_comes_from_the_caisse(scanner_store, caisse) -> None:
    issued = caisse.trust_list().issued_at
    journal = Journal(scanner_store.journal_path)
    standing.record_active(journal, {"trust_list_refresh_s": 6 * HOUR}, issued)
    at = issued + 7 * HOUR + 60
    shown = screen(_doc(scanner_store, journal, at), at, Messages("en"))
    assert shown.band == "List not updated for 7 h — connect the till to the Internet."


def test_the_shopkeepers_status_in_words_and_as_json(scanner_store, caisse, brussels) -> None:
    issued = caisse.trust_list().issued_at
    now = issued + 5 * HOUR
    journal = Journal(scanner_store.journal_path)
    midnight = local_midnight(now)
    member = caisse.member(allowance_cents=100_000)
    clock = [midnight - 60]  # one payment yesterday, two today
    till = Till(journal, "m-till", TrustListHolder(scanner_store.trust_list()),
                clock=lambda: clock[0])  # fmt: skip
    for at, cents in ((midnight - 60, 999), (midnight + 60, 420), (midnight + 120, 1230)):
        clock[0] = at
        assert till.offer(member.pay(cents, iat=at), "wedge").ok
    journal.set_state("last_sync_at", str(now - 180))
    standing.record_active(journal, {"merchant_name": "Épicerie A"}, now - 180)
    doc = _doc(scanner_store, journal, now)
    assert doc["today"] == {"since": midnight, "payments": 2, "amount_cents": 1650}
    assert doc["standing"]["accepting"] is True and doc["unsent_scans"] == 3
    text = report(doc, now, Messages("fr")).splitlines()
    assert text[0] == "Épicerie A (m-till)"
    assert text[1] == "Aujourd'hui : 16,50\u00a0€ — paiements acceptés : 2"
    assert text[2].startswith("Dernière synchro : ") and text[2].endswith(" (il y a 3 min)")
    assert text[3].startswith(f"Liste de confiance n° {doc['trust_list']['seq']} : du ")
    assert "(il y a 5 h)" in text[3]
    assert text[4:] == ["Scans non envoyés : 3", "Cette caisse accepte les paiements."]
    english = report(doc, now, Messages("en"))
    assert "Today: 16,50\u00a0€ — payments accepted: 2" in english


def test_local_midnight_holds_on_the_days_the_clock_changes(brussels) -> None:
    # 2026-03-29 (summer time starts at 02:00) and 2026-10-25 (ends at 03:00), Brussels.
    for noon, midnight in ((1774778400, 1774738800), (1792926000, 1792879200)):
        assert local_midnight(noon) == midnight


def test_every_refusal_the_caisse_sends_has_a_band_in_every_language() -> None:
    from scanner.api_client import REFUSING_CODES

    for lang in LANGUAGES:
        t = Messages(lang)
        assert all(t(f"band.{code}") != f"band.{code}" for code in REFUSING_CODES)


def test_every_message_has_words_in_every_language() -> None:
    ids = {lang: set(_catalogue(lang)) for lang in LANGUAGES}
    assert ids["fr"] == ids["nl"] == ids["en"]
    for lang in LANGUAGES:
        t = Messages(lang)
        for key in ("band.KEY_REVOKED", "band.MERCHANT_SUSPENDED", "band.MERCHANT_WITHDRAWN",
                    "band.UNKNOWN_KEY", "camera.not_found", "prompt.use_reader"):  # fmt: skip
            assert t(key) != key


def test_enroll_refuses_a_short_passphrase(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scanner.cli", "enroll", "--server", "http://127.0.0.1:9",
         "--code", "ABCD", "--data", str(tmp_path / "till")],
        env={**os.environ, "SSA_PASSPHRASE": "short-pw1"}, capture_output=True, text=True,
        cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "at least 10 characters" in proc.stderr and "SSA_PASSPHRASE" in proc.stderr
    assert not (tmp_path / "till" / "merchant-key.json").exists()


def test_a_missing_camera_is_said_in_the_window_and_not_in_opencvs_words(
    scanner_store, display
) -> None:
    window = TillWindow(
        Till(Journal(":memory:"), "m-till", TrustListHolder(scanner_store.trust_list())),
        frames=iter(()), decode=lambda f: [], messages=Messages("nl"),
        status=lambda: screen(
            _doc(scanner_store, Journal(":memory:"), int(time.time())), int(time.time()),
            Messages("nl"),
        ),
        camera="7",
    )  # fmt: skip
    assert window.video.cget("text") == "Camera 7: opstarten…"
    assert window.detail.cget("text") == "Toon de betaalcode aan de camera"
    source = LiveSource("/dev/video-none", on_state=window.camera_state, retry_delays=(5,))
    source.start()
    _pump(window, lambda: "Geen camera" in window.video.cget("text"))
    source.stop()
    assert window.video.cget("text") == (
        "Geen camera gevonden (/dev/video-none): controleer of ze aangesloten is. "
        "Nieuwe poging over 5 s."
    )
    window.close()


def test_the_camera_states_in_order() -> None:
    said: list[CameraState] = []
    seen = threading.Event()
    source = LiveSource(
        "7", on_state=lambda s: (said.append(s), seen.set()), retry_delays=(0.1,)
    ).start()
    assert seen.wait(20)
    source.stop()
    assert said[0].state == "not_found"
    t = Messages("en")
    assert CameraState("lost", "0", 2).words(t) == "Camera lost (0): reconnecting in 2 s."
    assert CameraState("reconnecting", "0", 5).words(t) == (
        "Still no picture from the camera (0): trying again in 5 s."
    )


def test_run_without_a_webcam_says_so_in_words_without_opencv_warnings(scanner_store) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner.cli", "run", "--data", str(scanner_store.dir),
         "--camera", "7", "--headless", "--no-sync", "--no-stdin", "--lang", "fr"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    time.sleep(4)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=30)
    assert "Aucune caméra trouvée (7) : vérifiez qu'elle est branchée." in err
    assert "WARN" not in err and "VIDEOIO" not in err and "cap_v4l" not in err, err


def test_the_band_colours_are_readable() -> None:
    # Text on the band: black on amber, white on red (the till's colours, WCAG AA).
    assert BAND_COLOURS == {"warn": ("#f0b400", "#1a1a1a"), "error": ("#b00020", "#ffffff")}


def test_a_till_the_caisse_refused_judges_nothing(scanner_store, caisse: SampleCaisse) -> None:
    journal = Journal(scanner_store.journal_path)
    standing.record_refused(journal, "MERCHANT_SUSPENDED", caisse.now)
    till = Till(journal, "m-till", TrustListHolder(scanner_store.trust_list()),
                clock=lambda: caisse.now)  # fmt: skip
    event = till.offer(caisse.member().pay(100, iat=caisse.now), "camera")
    assert event.result is None and event.code == "TILL_BLOCKED"
    assert event.to_json(Messages("en"))["message"] == (
        "This shop is suspended: do not accept this code."
    )
    assert journal.counts() == {}
    standing.record_active(journal, {}, caisse.now + 60)  # the caisse re-activated the shop
    assert till.offer(caisse.member().pay(100, iat=caisse.now), "camera").ok

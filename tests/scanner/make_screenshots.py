"""Take the till's screenshots for docs/img/ (revoked, old list, no camera, accepted).

Not a test: run `.venv/bin/python tests/scanner/make_screenshots.py` after changing the
till window's look. The window is the real one, on a virtual X display (Xvfb), with a
sample caisse and a throw-away data directory; the clock is pinned to the list's issue.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from keys import ed25519  # noqa: E402
from keys.sample import SampleCaisse  # noqa: E402
from scanner import standing  # noqa: E402
from scanner.camera import CameraState  # noqa: E402
from scanner.journal import Journal  # noqa: E402
from scanner.messages import Messages  # noqa: E402
from scanner.status import screen, status  # noqa: E402
from scanner.store import ScannerConfig, ScannerStore  # noqa: E402
from scanner.till import Till, TrustListHolder  # noqa: E402
from scanner.till_window import TillWindow, to_ppm  # noqa: E402
from tests.scanner.conftest import qr_picture  # noqa: E402

OUT = ROOT / "docs" / "img"
NOW = 1_796_000_000  # a pinned instant: the pictures do not depend on the day they are made


def _store(caisse: SampleCaisse, where: Path) -> ScannerStore:
    store = ScannerStore(where)
    store.ensure_dir()
    store.install_trust_list(caisse.signed_trust_list(), caisse.root_public_key)
    store.save_config(
        ScannerConfig(
            server_url="https://caisse.example",
            merchant_id="m-epicerie-a",
            root_public_key=caisse.root_public_key.hex(),
            merchant_public_key=ed25519.public_key_of(caisse.issuer_key).hex(),
        )
    )
    return store


def _shot(window: TillWindow, path: Path) -> None:
    from PIL import ImageGrab

    for _ in range(40):
        window.root.update()
        time.sleep(0.02)
    x, y = window.root.winfo_rootx(), window.root.winfo_rooty()
    w, h = window.root.winfo_width(), window.root.winfo_height()
    ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay=window.root.winfo_screen()).save(path)


def _live():
    """A live camera that sends no frame of its own (the pictures put theirs in)."""
    threading.Event().wait()
    yield


def _window(store: ScannerStore, journal: Journal, now: int, camera: str | None) -> TillWindow:
    t = Messages("fr")
    trust_lists = TrustListHolder(store.trust_list())
    window = TillWindow(
        Till(journal, "m-epicerie-a", trust_lists, clock=lambda: now),
        frames=_live() if camera else None, decode=lambda f: [], messages=t, camera=camera,
        status=lambda: screen(status(store.config(), journal, trust_lists.current, now), now, t),
    )  # fmt: skip
    window.root.geometry("1000x720+0+0")
    window.root.after(30, window._poll)  # what run() schedules: camera states and frames
    return window


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    display = subprocess.Popen(["Xvfb", ":97", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
    os.environ["DISPLAY"] = ":97"
    time.sleep(1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            caisse = SampleCaisse(now=NOW)
            issued = caisse.trust_list().issued_at
            member = caisse.member()

            store = _store(caisse, Path(tmp) / "revoked")
            journal = Journal(store.journal_path)
            window = _window(store, journal, issued + 3600, None)
            window.scan(member.pay(420, iat=issued + 3600), "wedge")  # accepted, unsent
            standing.record_refused(journal, "KEY_REVOKED", issued + 3600)
            window.refresh_status()
            window.scan(member.pay(230, iat=issued + 3600), "wedge")
            _shot(window, OUT / "till-revoked.png")
            window.close()

            store = _store(caisse, Path(tmp) / "old")
            journal = Journal(store.journal_path)
            late = issued + 2 * 86_400 + 5 * 3600
            window = _window(store, journal, late, "0")
            qr = member.pay(1230, iat=late)
            window._events.put(("frame", to_ppm(qr_picture(qr, module_px=3, size=(640, 400)))))
            window.scan(qr, "camera")
            _shot(window, OUT / "till-list-old.png")
            window.close()

            store = _store(caisse, Path(tmp) / "camera")
            journal = Journal(store.journal_path)
            window = _window(store, journal, issued + 600, "0")
            window.camera_state(CameraState("not_found", "0", 5))
            _shot(window, OUT / "till-no-camera.png")
            window.close()
    finally:
        display.terminate()
        display.wait(10)
    print(f"wrote till-revoked.png, till-list-old.png and till-no-camera.png in {OUT}")


if __name__ == "__main__":
    main()

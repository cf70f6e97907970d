"""`ssa-scanner enroll` reads the enrolment QR of the caisse's letter — the browser till's
link, which names the server — from a photo of it, or pasted as the code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import qrcode

ROOT = Path(__file__).resolve().parents[2]


def _scanner(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SSA_PASSPHRASE": "shop-passphrase"}
    return subprocess.run([sys.executable, "-m", "scanner.cli", "enroll", "--kdf", "interactive",
                           *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def _photo_of_the_letter(text: str, path: Path) -> Path:
    """The QR printed on a page, photographed a little small and grey."""
    qr = np.array(qrcode.make(text, border=4).convert("L"), dtype=np.uint8)
    page = np.full((900, 700), 235, np.uint8)
    qr = cv2.resize(qr, (300, 300), interpolation=cv2.INTER_AREA)
    page[300:600, 200:500] = qr
    cv2.imwrite(str(path), cv2.GaussianBlur(page, (3, 3), 0))
    return path


def test_enrol_from_a_photo_of_the_letters_qr(real_server, tmp_path: Path) -> None:
    shop = real_server.admin("merchant", "add", "--name", "Marché", "--iban", "BE71096123456769")
    link = shop["enrollment_url"]
    assert link == f"{real_server.url}/till/#enrol={shop['enrollment_code']}"
    photo = _photo_of_the_letter(link, tmp_path / "letter.png")
    done = _scanner("--qr", str(photo), "--data", str(tmp_path / "till"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["merchant_id"] == shop["merchant_id"]
    config = json.loads((tmp_path / "till" / "scanner.json").read_text())
    assert config["server_url"] == real_server.url


def test_the_link_pasted_as_the_code_names_the_server(real_server, tmp_path: Path) -> None:
    shop = real_server.admin("merchant", "add", "--name", "Étal", "--iban", "BE71096123456769")
    done = _scanner("--code", shop["enrollment_url"], "--data", str(tmp_path / "till"))
    assert done.returncode == 0, done.stderr
    other = _scanner("--code", shop["enrollment_url"], "--server", "https://other.example",
                     "--data", str(tmp_path / "till2"))  # fmt: skip
    assert other.returncode == 1 and "is for" in other.stderr and "Traceback" not in other.stderr
    bare = _scanner("--code", shop["enrollment_code"], "--data", str(tmp_path / "till3"))
    assert bare.returncode == 1 and "--server" in bare.stderr
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 200), 255, np.uint8))
    nothing = _scanner("--qr", str(blank), "--data", str(tmp_path / "till4"))
    assert nothing.returncode == 1 and "no QR code found" in nothing.stderr

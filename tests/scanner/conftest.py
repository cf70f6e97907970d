"""Fixtures for the till: a scanner data directory pinned to a sample caisse, QR pictures."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import qrcode

from keys import ed25519
from keys.sample import SampleCaisse
from scanner.store import ScannerConfig, ScannerStore
from tests.conftest import now_s


def qr_picture(text: str, module_px: int = 6, size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    """A BGR frame with ``text`` as a QR code (EC level M, 4-module quiet zone) in its middle."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    modules = np.array(code.get_matrix(), dtype=np.uint8)
    qr = np.where(modules == 1, 0, 255).astype(np.uint8)
    qr = cv2.resize(qr, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)
    width, height = size
    frame = np.full((height, width), 180, dtype=np.uint8)
    y, x = (height - qr.shape[0]) // 2, (width - qr.shape[1]) // 2
    frame[y : y + qr.shape[0], x : x + qr.shape[1]] = qr
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def write_video(path: Path, frames: list[np.ndarray], fps: int = 10) -> Path:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened(), "OpenCV cannot write mp4 here"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture
def caisse() -> SampleCaisse:
    return SampleCaisse(now=now_s())


@pytest.fixture
def scanner_store(tmp_path: Path, caisse: SampleCaisse) -> ScannerStore:
    """A scanner data directory as enrolment leaves it (no server involved)."""
    store = ScannerStore(tmp_path / "scanner")
    store.ensure_dir()
    store.install_trust_list(caisse.signed_trust_list(), caisse.root_public_key)
    store.save_config(
        ScannerConfig(
            server_url="http://127.0.0.1:9",
            merchant_id="m-till",
            root_public_key=caisse.root_public_key.hex(),
            merchant_public_key=ed25519.public_key_of(caisse.issuer_key).hex(),
        )
    )
    return store


@pytest.fixture(scope="session")
def display(service_missing):
    """A virtual X display (Xvfb) for the Tk window tests, as DISPLAY, one per session (a
    second server on the same number while the first is still going away would fail)."""
    if not shutil.which("Xvfb"):
        service_missing("Xvfb is not installed (Debian package xvfb)")
    number = 90 + os.getpid() % 50
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    socket = Path(f"/tmp/.X11-unix/X{number}")
    for _ in range(100):
        if socket.exists() or server.poll() is not None:
            break
        time.sleep(0.05)
    time.sleep(0.2)
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = f":{number}"
    yield
    server.terminate()
    server.wait(10)
    if old is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = old

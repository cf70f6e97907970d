"""The till's decision, end to end: decode a camera frame, verify, commit to the journal.

Each sample is a 1280x720 frame holding a fresh payment; the decision is
``decode_frame`` + ``Till.offer`` (steps 1-13 and the SQLite commit with
synchronous=FULL on a real file). Baselines measured in the same run: raw
PyNaCl verification of the payment's two signatures, and the camera's frame
period (33 ms at 30 fps) that the decision must stay well under.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import qrcode
from nacl.signing import VerifyKey

from keys import tokens
from keys.sample import SampleCaisse
from scanner.decode import decode_frame
from scanner.journal import Journal
from scanner.till import Till, TrustListHolder

FRAME_PERIOD_MS = 1000 / 30
SCANS = 120


def _frame(text: str) -> np.ndarray:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    modules = np.array(code.get_matrix(), dtype=np.uint8)
    qr = cv2.resize(np.where(modules == 1, 0, 255).astype(np.uint8), None, fx=5, fy=5,
                    interpolation=cv2.INTER_NEAREST)  # fmt: skip
    frame = np.full((720, 1280), 170, np.uint8)
    y, x = (720 - qr.shape[0]) // 2, (1280 - qr.shape[1]) // 2
    frame[y : y + qr.shape[0], x : x + qr.shape[1]] = qr
    return cv2.cvtColor(cv2.GaussianBlur(frame, (3, 3), 0), cv2.COLOR_GRAY2BGR)


def _percentile(values: list[float], p: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * p))]


def run() -> dict:
    caisse = SampleCaisse(now=int(time.time()))
    members = [caisse.member(allowance_cents=10_000_000) for _ in range(12)]
    qrs = [members[i % len(members)].pay(100, iat=caisse.now) for i in range(SCANS)]
    frames = [_frame(qr) for qr in qrs]
    decisions, decode_only, commit_only, raw = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal(Path(tmp) / "journal.sqlite")
        till = Till(journal, "m-bench", TrustListHolder(caisse.trust_list()))
        for qr, frame in zip(qrs, frames, strict=True):
            payment = tokens.decode_token(tokens.from_qr(qr))
            cred = payment.credential
            issuer = VerifyKey(caisse.trust_list().issuer(cred.kid).key)
            t0 = time.perf_counter()
            issuer.verify(cred.sign1.to_be_signed(), cred.sign1.signature)
            VerifyKey(cred.member_public_key).verify(
                payment.sign1.to_be_signed(), payment.sign1.signature
            )
            t1 = time.perf_counter()
            texts = decode_frame(frame)
            t2 = time.perf_counter()
            event = till.offer(texts[0], "camera")
            t3 = time.perf_counter()
            assert event is not None and event.result.ok, event
            raw.append((t1 - t0) * 1000)
            decode_only.append((t2 - t1) * 1000)
            commit_only.append((t3 - t2) * 1000)
            decisions.append((t3 - t1) * 1000)
        journal.close()
    median = statistics.median(decisions)
    result = {
        "scans": SCANS,
        "decision_ms_median": round(median, 2),
        "decision_ms_p95": round(_percentile(decisions, 0.95), 2),
        "decode_ms_median": round(statistics.median(decode_only), 2),
        "verify_and_commit_ms_median": round(statistics.median(commit_only), 2),
        "raw_two_signature_ms_median": round(statistics.median(raw), 3),
        "scans_per_s_end_to_end": round(1000 / median, 1),
        "decision_over_frame_period": round(median / FRAME_PERIOD_MS, 3),
        "verify_and_commit_over_raw_two_signatures": round(
            statistics.median(commit_only) / statistics.median(raw), 2
        ),
    }
    for key, value in result.items():
        print(f"   {key:45} {value}")
    return result

"""Decode benchmark: each QR library alone vs the scanner's pipeline, on photos and till frames.

    .venv/bin/python -m bench decode

Figures (all measured in the same run, frames interleaved so load hits every decoder alike;
zxing-cpp and the pipeline timed as the fastest of 3 runs per frame):
- per library (zxing-cpp, pyzbar, OpenCV QRCodeDetector, QRCodeDetectorAruco) and for the
  pipeline (scanner.decode.decode_frame): codes read and ms per frame (median, p95, mean) on
  the photo corpus ../shared/corpus/qr-photos (skipped, with the reason, when absent) and on
  generated till frames (bench/till_frames.py, seed 0) at 1280x720 and 640x480;
- the pipeline's time as a ratio of zxing-cpp's on the same frames, and the frames it reads
  that no single library reads.

A photo or frame counts as read when its exact text is among the decoded texts (CR LF
normalised to LF, as the corpus README asks).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

from bench import till_frames
from scanner.decode import decode_frame

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "qr-photos"
FRAMES_PER_SIZE = 66  # 6 per condition
SEED = 0  # the pipeline was tuned on seed 1: these frames are unseen
# the ratio's two sides are timed 3 times per frame, keeping the fastest: the CPU is shared,
# and the least disturbed run is the decoder's own cost
REPEATS = {"zxing-cpp": 3, "pipeline": 3}

_CV = cv2.QRCodeDetector()
_ARUCO = cv2.QRCodeDetectorAruco()


def zxing_alone(image: np.ndarray) -> list[str]:
    barcodes = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormat.QRCode, text_mode=zxingcpp.TextMode.Plain
    )
    return [b.text for b in barcodes]


def pyzbar_alone(image: np.ndarray) -> list[str]:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    found = pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])
    return [_text(r.data) for r in found]


def _opencv(detector) -> Callable[[np.ndarray], list[str]]:
    def read(image: np.ndarray) -> list[str]:
        try:
            text, _points, _ = detector.detectAndDecode(image)
        except (cv2.error, UnicodeDecodeError):  # non-UTF-8 content raises in the binding
            return []
        return [text] if text else []

    return read


LIBRARIES: dict[str, Callable[[np.ndarray], list[str]]] = {
    "zxing-cpp": zxing_alone,
    "pyzbar": pyzbar_alone,
    "opencv": _opencv(_CV),
    "opencv-aruco": _opencv(_ARUCO),
    "pipeline": decode_frame,
}


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _norm(text: str) -> str:
    return text.replace("\r\n", "\n")


def photo_corpus(root: Path = CORPUS) -> list[tuple[Path, str]]:
    """(image, expected text) pairs; the .txt holds the answer as UTF-8."""
    pairs = []
    for image in sorted(root.glob("qrcode-*/*")):
        if image.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"):
            pairs.append((image, _norm(_text(image.with_suffix(".txt").read_bytes()))))
    return pairs


def _measure(samples: list[tuple[np.ndarray, str, str]]) -> dict[str, dict]:
    """Each decoder on each sample, interleaved; per decoder: read, times, which were read."""
    for decode in LIBRARIES.values():  # warm-up: first calls allocate
        decode(samples[0][0])
    out = {name: {"read": [], "ms": []} for name in LIBRARIES}
    for image, expected, _label in samples:
        for name, decode in LIBRARIES.items():
            best = float("inf")
            for _ in range(REPEATS.get(name, 1)):
                started = time.perf_counter()
                texts = decode(image)
                best = min(best, (time.perf_counter() - started) * 1000)
            out[name]["ms"].append(best)
            out[name]["read"].append(expected in {_norm(t) for t in texts})
    return out


def _summary(raw: dict, labels: list[str]) -> dict:
    table = {}
    for name, r in raw.items():
        ms = np.array(r["ms"])
        table[name] = {
            "read": int(sum(r["read"])),
            "of": len(r["read"]),
            "ms_median": round(float(np.median(ms)), 2),
            "ms_p95": round(float(np.percentile(ms, 95)), 2),
            "ms_mean": round(float(ms.mean()), 2),
        }
    libs = [n for n in raw if n != "pipeline"]
    table["pipeline"]["read_by_no_single_library"] = sum(
        1
        for i, ok in enumerate(raw["pipeline"]["read"])
        if ok and not any(raw[n]["read"][i] for n in libs)
    )
    table["pipeline"]["missed_that_a_library_read"] = sum(
        1
        for i, ok in enumerate(raw["pipeline"]["read"])
        if not ok and any(raw[n]["read"][i] for n in libs)
    )
    zx, pipe = table["zxing-cpp"], table["pipeline"]
    for stat in ("median", "p95", "mean"):
        pipe[f"time_ratio_to_zxing_{stat}"] = round(pipe[f"ms_{stat}"] / zx[f"ms_{stat}"], 2)
    by_condition = {}
    for condition in dict.fromkeys(labels):
        idx = [i for i, label in enumerate(labels) if label == condition]
        by_condition[condition] = {n: sum(raw[n]["read"][i] for i in idx) for n in raw}
        by_condition[condition]["of"] = len(idx)
    table["by_condition"] = by_condition
    return table


def _print(title: str, table: dict) -> None:
    print(f"   {title}")
    print(f"     {'decoder':13s} {'read':>7s} {'median ms':>9s} {'p95 ms':>7s} {'mean ms':>7s}")
    for name in LIBRARIES:
        t = table[name]
        print(
            f"     {name:13s} {t['read']:3d}/{t['of']:<3d} {t['ms_median']:9.2f} "
            f"{t['ms_p95']:7.2f} {t['ms_mean']:7.2f}"
        )
    pipe = table["pipeline"]
    print(
        "     pipeline/zxing-cpp time: median {time_ratio_to_zxing_median}x, "
        "p95 {time_ratio_to_zxing_p95}x, mean {time_ratio_to_zxing_mean}x; "
        "read by no single library: {read_by_no_single_library}; "
        "missed that a library read: {missed_that_a_library_read}".format(**pipe)
    )


def run() -> dict:
    results: dict = {}
    if CORPUS.is_dir():
        pairs = photo_corpus()
        samples = [(cv2.imread(str(p), cv2.IMREAD_COLOR), text, "photo") for p, text in pairs]
        results["photos"] = _summary(_measure(samples), [s[2] for s in samples])
        del results["photos"]["by_condition"]
        _print(f"real photos ({CORPUS})", results["photos"])
    else:
        results["photos"] = {"skipped": f"photo corpus absent: {CORPUS}"}
        print(f"   real photos: SKIPPED, {CORPUS} is absent")
    for size in till_frames.SIZES:
        started = time.perf_counter()
        samples = [
            (f.image, f.text, f.condition)
            for f in till_frames.frames(FRAMES_PER_SIZE, size, seed=SEED)
        ]
        made = time.perf_counter() - started
        key = f"frames_{size[0]}x{size[1]}"
        results[key] = _summary(_measure(samples), [s[2] for s in samples])
        _print(f"till frames {size[0]}x{size[1]} (seed {SEED}, made in {made:.1f} s)", results[key])
        conditions = results[key]["by_condition"]
        print(
            "     by condition (zxing-cpp -> pipeline): "
            + ", ".join(
                f"{c} {v['zxing-cpp']}->{v['pipeline']}/{v['of']}" for c, v in conditions.items()
            )
        )
    results["goals"] = _goals(results)
    print(
        "   goals: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in results["goals"].items())
    )
    return results


def _goals(results: dict) -> dict:
    goals = {}
    photos = results["photos"]
    if "skipped" not in photos:
        goals["photos_at_least_zxing"] = photos["pipeline"]["read"] >= photos["zxing-cpp"]["read"]
    for key in ("frames_1280x720", "frames_640x480"):
        t = results[key]
        goals[f"{key}_at_least_zxing"] = t["pipeline"]["read"] >= t["zxing-cpp"]["read"]
    hd = results["frames_1280x720"]["pipeline"]
    goals["frames_1280x720_median_time_within_2x_zxing"] = hd["time_ratio_to_zxing_median"] <= 2
    goals["frames_1280x720_mean_time_within_2x_zxing"] = hd["time_ratio_to_zxing_mean"] <= 2
    return goals

"""On real photos (../shared/corpus/qr-photos) the pipeline reads all that zxing-cpp alone reads."""

from __future__ import annotations

from pathlib import Path

import cv2
import zxingcpp

from scanner.decode import decode_file

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "qr-photos"


def _norm(text: str) -> str:
    return text.replace("\r\n", "\n")  # the corpus README: compare after CR LF -> LF


def _expected(image: Path) -> str:
    data = image.with_suffix(".txt").read_bytes()
    try:
        return _norm(data.decode("utf-8"))
    except UnicodeDecodeError:
        return _norm(data.decode("latin-1"))


def test_pipeline_reads_every_photo_zxing_cpp_alone_reads(service_missing):
    if not CORPUS.is_dir():
        service_missing(f"photo corpus absent: {CORPUS}")
    images = sorted(
        p for p in CORPUS.glob("qrcode-*/*") if p.suffix.lower() in (".png", ".jpg", ".webp")
    )
    assert len(images) >= 80
    ours, theirs = set(), set()
    for image in images:
        expected = _expected(image)
        if expected in {_norm(t) for t in decode_file(image)}:
            ours.add(image.relative_to(CORPUS).as_posix())
        alone = zxingcpp.read_barcodes(
            cv2.imread(str(image)),
            formats=zxingcpp.BarcodeFormat.QRCode,
            text_mode=zxingcpp.TextMode.Plain,
        )
        if expected in {_norm(b.text) for b in alone}:
            theirs.add(image.relative_to(CORPUS).as_posix())
    assert theirs <= ours, f"photos zxing-cpp reads and the pipeline does not: {theirs - ours}"
    assert len(ours) >= len(theirs) >= 77

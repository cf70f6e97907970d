"""The image pipeline reads real SSA1 payment codes exactly, in any form a till or a file gives."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp

from scanner.decode import ImageUnreadable, decode_file, decode_frame
from scanner.image_header import sniff

ROOT = Path(__file__).resolve().parents[2]


def _load_till_frames():
    """bench/ is not an installed package: load the frame generator from its file."""
    spec = importlib.util.spec_from_file_location("till_frames", ROOT / "bench" / "till_frames.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["till_frames"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


till_frames = _load_till_frames()


@pytest.fixture(scope="module")
def payment() -> str:
    return till_frames.payment_text(np.random.default_rng(7))


def code_image(text: str, module_px: int = 4, dark_mode: bool = False) -> np.ndarray:
    """A plain gray picture of the code, quiet zone included."""
    modules = till_frames.qr_modules(text)
    dark = modules ^ dark_mode
    image = np.where(dark, 20, 235).astype(np.uint8)
    return cv2.resize(image, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)


def zxing_alone(image: np.ndarray) -> list[str]:
    found = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormat.QRCode, text_mode=zxingcpp.TextMode.Plain
    )
    return [b.text for b in found]


def test_payment_text_is_a_real_ssa1_payment_in_a_large_code(payment):
    assert payment.startswith("SSA1:")
    assert 380 <= len(payment) <= 480
    assert 13 <= (till_frames.qr_modules(payment).shape[0] - 8 - 17) // 4 <= 15  # QR version


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".bmp"])
def test_decode_file_returns_the_exact_payment_text(tmp_path, payment, suffix):
    path = tmp_path / f"code{suffix}"
    assert cv2.imwrite(str(path), code_image(payment))
    assert decode_file(path) == [payment]


def test_dark_mode_code_with_light_modules_on_dark_reads(payment):
    assert decode_frame(code_image(payment, dark_mode=True)) == [payment]


def test_two_codes_in_one_frame_give_two_distinct_texts(payment):
    other = till_frames.payment_text(np.random.default_rng(8))
    frame = np.hstack([code_image(payment), code_image(other), code_image(payment)])
    assert sorted(decode_frame(frame)) == sorted([payment, other])


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda g: g, id="gray"),
        pytest.param(lambda g: g[:, :, None], id="gray-1-channel"),
        pytest.param(lambda g: cv2.cvtColor(g, cv2.COLOR_GRAY2BGR), id="bgr"),
        pytest.param(lambda g: cv2.cvtColor(g, cv2.COLOR_GRAY2BGRA), id="bgra-opaque"),
        pytest.param(lambda g: g.astype(np.uint16) * 257, id="uint16"),
        pytest.param(lambda g: g.astype(np.float64) / 255.0, id="float-0-1"),
        pytest.param(lambda g: g.astype(np.float32), id="float-0-255"),
        pytest.param(lambda g: g > 127, id="bool"),
        pytest.param(lambda g: cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)[:, ::-1], id="non-contiguous"),
    ],
)
def test_every_array_layout_of_the_same_code_reads(payment, convert):
    assert decode_frame(convert(code_image(payment))) == [payment]


@pytest.mark.parametrize("ink", [0, 255], ids=["black-code", "white-code"])
def test_code_on_a_transparent_background_reads_whatever_its_colour(tmp_path, payment, ink):
    """A QR exported as PNG with transparency: black modules on nothing, or white ones."""
    modules = cv2.resize(
        till_frames.qr_modules(payment).astype(np.uint8), None, fx=4, fy=4, interpolation=0
    )
    rgba = np.zeros((*modules.shape, 4), np.uint8)
    rgba[..., :3] = ink
    rgba[..., 3] = np.where(modules == 1, 255, 0) if ink == 0 else np.where(modules == 1, 0, 255)
    path = tmp_path / "transparent.png"
    assert cv2.imwrite(str(path), rgba)
    assert decode_file(path) == [payment]


def test_till_frames_read_at_least_as_many_as_zxing_cpp_alone():
    """Count, not time: every condition once at 640x480 (the benchmark does the full set)."""
    frames = list(till_frames.frames(2 * len(till_frames.CONDITIONS), (640, 480), seed=3))
    ours = [f.text in decode_frame(f.image) for f in frames]
    theirs = [f.text in zxing_alone(f.image) for f in frames]
    assert sum(ours) >= sum(theirs)
    assert all(a or not b for a, b in zip(ours, theirs, strict=True)), "lost a code zxing reads"
    easy = {"clean", "tilt", "rotation", "glare", "low_contrast", "noise_jpeg", "dark_mode"}
    assert all(ok for f, ok in zip(frames, ours, strict=True) if f.condition in easy)


def test_small_code_zxing_cannot_read_is_read_by_enlarging_its_region():
    """The 'beyond': a till frame no single library reads, recovered by the crop fallback."""
    for frame in till_frames.frames(40, (1280, 720), seed=0):
        if frame.condition == "small" and frame.text not in zxing_alone(frame.image):
            assert decode_frame(frame.image) == [frame.text]
            return
    pytest.fail("the generator made no small code that zxing-cpp misses")


def test_budget_bounds_the_fallbacks_but_never_the_first_pass(payment):
    assert decode_frame(code_image(payment), budget_ms=0) == [payment]
    blank = np.full((720, 1280), 128, np.uint8)
    assert decode_frame(blank, budget_ms=0) == []


def test_till_frames_are_deterministic_for_a_seed():
    a = next(till_frames.frames(1, (640, 480), seed=5))
    b = next(till_frames.frames(1, (640, 480), seed=5))
    assert a.text == b.text and np.array_equal(a.image, b.image)


# -- files that are not (readable) images ---------------------------------------------


def test_missing_file_is_image_unreadable(tmp_path):
    with pytest.raises(ImageUnreadable, match="cannot read"):
        decode_file(tmp_path / "absent.png")


def test_directory_is_image_unreadable(tmp_path):
    with pytest.raises(ImageUnreadable):
        decode_file(tmp_path)


@pytest.mark.parametrize(
    "content", [b"", b"hello, not an image\n", b"GIF89a" + bytes(100), bytes(range(256)) * 4]
)
def test_non_image_file_is_image_unreadable(tmp_path, content):
    path = tmp_path / "x.png"
    path.write_bytes(content)
    with pytest.raises(ImageUnreadable, match="not a PNG, JPEG, WebP or BMP"):
        decode_file(path)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_truncated_image_is_unreadable_or_partial_never_a_crash(tmp_path, payment, suffix):
    ok, encoded = cv2.imencode(suffix, code_image(payment))
    assert ok
    data = encoded.tobytes()
    path = tmp_path / f"cut{suffix}"
    for keep in (8, 30, 100, len(data) // 2, len(data) - 10):
        path.write_bytes(data[:keep])
        try:
            texts = decode_file(path)
        except ImageUnreadable:
            continue
        assert texts in ([], [payment])  # a JPEG cut short still decodes its top part


def test_image_declaring_a_gigapixel_size_is_refused_before_decoding(tmp_path):
    _ok, encoded = cv2.imencode(".png", np.zeros((64, 64), np.uint8))
    data = bytearray(encoded.tobytes())
    data[16:24] = (40_000).to_bytes(4, "big") * 2  # IHDR says 40000 x 40000
    path = tmp_path / "bomb.png"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageUnreadable, match="larger than"):
        decode_file(path)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".bmp"])
@pytest.mark.parametrize("shape", [(37, 53), (480, 640, 3), (300, 200, 4)])
def test_header_sniffing_gives_the_size_opencv_decodes(suffix, shape):
    if suffix == ".jpg" and shape[-1] == 4:
        shape = shape[:2]
    ok, encoded = cv2.imencode(suffix, np.zeros(shape, np.uint8))
    assert ok
    kind, width, height = sniff(encoded.tobytes())
    assert (height, width) == shape[:2]
    assert kind == {".jpg": "jpeg"}.get(suffix, suffix[1:])


def test_huge_frame_is_decoded_not_refused(payment):
    """A 60 MP array (beyond the pixel limit) is thinned, not an error."""
    frame = np.full((6000, 10_000), 200, np.uint8)
    code = code_image(payment, module_px=12)
    frame[100 : 100 + code.shape[0], 100 : 100 + code.shape[1]] = code
    assert decode_frame(frame) == [payment]

"""Bad input never crashes the pipeline: an array gives a list, a file a list or ImageUnreadable."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scanner.decode import ImageUnreadable, decode_file, decode_frame

DTYPES = st.sampled_from(
    [np.uint8, np.uint16, np.int8, np.int32, np.int64, np.float32, np.float64, np.bool_]
)
SHAPES = st.one_of(
    hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=8),
    st.tuples(st.integers(0, 120), st.integers(0, 120)),
    st.tuples(st.integers(0, 90), st.integers(0, 90), st.sampled_from([1, 2, 3, 4, 5])),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(DTYPES, SHAPES))
def test_any_array_gives_a_list_of_texts(frame):
    texts = decode_frame(frame)
    assert isinstance(texts, list) and all(isinstance(t, str) for t in texts)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["a", 3, None, [[1, 2], [3, 4]], np.array(["x"] * 900).reshape(30, 30)]))
def test_non_numeric_input_gives_an_empty_list(frame):
    assert decode_frame(frame) == []


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([(1, 1), (480, 640), (720, 1280, 3)]))
def test_noise_frames_give_no_text(seed, shape):
    """Camera noise holds no QR code: the whole cascade runs and reads nothing."""
    frame = np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)
    assert decode_frame(frame) == []


PREFIXES = st.sampled_from(
    [
        b"",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\xff\xd8",
        b"RIFF\x00\x00\x00\x00WEBPVP8 ",
        b"BM",
    ]
)


@settings(max_examples=150, deadline=None)
@given(PREFIXES, st.binary(max_size=2000))
def test_any_file_content_gives_texts_or_image_unreadable(prefix, body):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x"
        path.write_bytes(prefix + body)
        try:
            texts = decode_file(path)
        except ImageUnreadable as exc:
            assert str(exc)
        else:
            assert isinstance(texts, list)

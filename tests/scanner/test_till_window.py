"""The till window on a real (virtual) X display: verdict colours, words, the wedge."""

from __future__ import annotations

import time

from keys.sample import SampleCaisse
from scanner.journal import Journal
from scanner.messages import Messages
from scanner.status import Screen
from scanner.till import Till, TrustListHolder
from scanner.till_window import COLOURS, TillWindow
from tests.conftest import now_s

from .conftest import qr_picture


def _window(caisse: SampleCaisse, frames=None, language: str = "fr") -> TillWindow:
    from scanner.decode import decode_frame

    till = Till(Journal(":memory:"), "m-till", TrustListHolder(caisse.trust_list()))
    return TillWindow(
        till, frames=frames, decode=decode_frame, messages=Messages(language),
        status=lambda: Screen("status", "ok"), camera="test" if frames is not None else None,
    )  # fmt: skip


def _pump(window: TillWindow, until, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    window.root.after(30, window._poll)
    while time.monotonic() < deadline and not until():
        window.root.update()
        time.sleep(0.02)


def test_a_payment_from_the_camera_turns_the_window_green_with_the_amount(display) -> None:
    caisse = SampleCaisse(now=now_s())
    qr = caisse.member().pay(2340, iat=caisse.now)
    frames = iter([(qr_picture(qr, size=(640, 480), module_px=3), None)] * 3)
    window = _window(caisse, frames)
    _pump(window, lambda: window.verdict.cget("text") == "23,40\u00a0€")
    assert window.verdict.cget("text") == "23,40\u00a0€"
    assert window.verdict.cget("bg") == COLOURS["ok"][0]
    assert window.detail.cget("text") == "Accepté"
    assert window._photo is not None  # the live picture is shown
    window.close()


def test_the_wedge_types_into_the_window_and_refusals_are_red_in_plain_words(display) -> None:
    caisse = SampleCaisse(now=now_s())
    window = _window(caisse, language="nl")
    window.root.update()
    member = caisse.member(allowance_cents=1000)
    first = member.pay(600, iat=caisse.now)
    for char in first:
        window._on_key(_key(char))
    window._on_key(_key("\r", "Return"))
    assert window.verdict.cget("bg") == COLOURS["ok"][0]
    assert window.scan(first, "wedge") is None  # within the repeat window: not judged again
    window.scan(member.pay(600, iat=caisse.now), "wedge")
    assert window.verdict.cget("bg") == COLOURS["refused"][0]
    assert window.verdict.cget("text") == "Geweigerd"
    assert window.detail.cget("text") == "Onvoldoende resterende toelage voor dit bedrag."
    window.close()


def test_replay_is_amber_and_never_called_fraud(display) -> None:
    caisse = SampleCaisse(now=now_s())
    window = _window(caisse, language="en")
    voucher = caisse.voucher(500)
    window.scan(voucher, "wedge")
    window._idle()
    window.till._last_judged.clear()
    window.scan(voucher, "wedge")
    assert window.verdict.cget("bg") == COLOURS["replay"][0]
    assert window.verdict.cget("text") == "Already accepted"
    window.close()


def test_a_paper_voucher_says_so_distinct_from_a_phone_payment(display) -> None:
    caisse = SampleCaisse(now=now_s())
    window = _window(caisse)
    window.scan(caisse.voucher(1000), "wedge")
    assert window.verdict.cget("text") == "Bon papier 10,00\u00a0€"
    assert window.verdict.cget("bg") == COLOURS["ok"][0]
    window.scan(caisse.member().pay(1000, iat=caisse.now), "wedge")
    assert window.verdict.cget("text") == "10,00\u00a0€"
    window.close()


class _key:
    def __init__(self, char: str, keysym: str = "") -> None:
        self.char, self.keysym = char, keysym or char

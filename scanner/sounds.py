"""Two sounds told apart without looking: a bright chime (accepted), a low buzz (refused).

Tones are synthesised into WAV files at start-up and played with the system's
player (aplay or paplay) when there is one; otherwise the window's bell rings
once for accepted and three times for refused.
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import tempfile
import wave
from collections.abc import Callable
from pathlib import Path

RATE = 22_050


def _tone(path: Path, notes: list[tuple[float, float]], volume: float = 0.5) -> None:
    frames = bytearray()
    for frequency, seconds in notes:
        n = int(RATE * seconds)
        for i in range(n):
            fade = min(1.0, i / 200, (n - i) / 200)
            sample = volume * fade * math.sin(2 * math.pi * frequency * i / RATE)
            frames += struct.pack("<h", int(sample * 32767))
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes(bytes(frames))


class Sounds:
    def __init__(
        self, bell: Callable[[], None], schedule: Callable[[int, Callable[[], None]], object]
    ):
        self._bell = bell
        self._schedule = schedule
        self._player = shutil.which("aplay") or shutil.which("paplay")
        self._dir = Path(tempfile.mkdtemp(prefix="ssa-sounds-"))
        self.accept_wav = self._dir / "accept.wav"
        self.refuse_wav = self._dir / "refuse.wav"
        _tone(self.accept_wav, [(880, 0.12), (1320, 0.18)])
        _tone(self.refuse_wav, [(220, 0.18), (0, 0.06), (220, 0.18), (0, 0.06), (220, 0.3)])

    def _play(self, path: Path) -> bool:
        if not self._player:
            return False
        args = (
            [self._player, "-q", str(path)]
            if self._player.endswith("aplay")
            else [self._player, str(path)]
        )
        try:
            subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            return False
        return True

    def accept(self) -> None:
        if not self._play(self.accept_wav):
            self._bell()

    def refuse(self) -> None:
        if not self._play(self.refuse_wav):
            for delay in (0, 180, 360):
                self._schedule(delay, self._bell)

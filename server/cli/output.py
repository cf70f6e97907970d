"""What every `ssa-admin` command shares: JSON on stdout for scripts, words on stderr."""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def out(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def now() -> int:
    return int(time.time())

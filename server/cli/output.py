"""What every `ssa-admin` command shares: JSON on stdout for scripts, words on stderr."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from typing import Any


def as_json(obj: Any) -> Any:
    """A service's result as JSON: its ``to_json()``, or its dataclass fields in order."""
    if hasattr(obj, "to_json"):
        return obj.to_json()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    return obj


def out(obj: Any) -> None:
    """One JSON object on a line of stdout (a dict, or a result dataclass)."""
    print(json.dumps(as_json(obj), ensure_ascii=False), flush=True)


def plural(n: int, one: str, many: str) -> str:
    """``1 member imported``, ``2 members imported`` (the CLI speaks English)."""
    return f"{n} {one if n == 1 else many}"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def now() -> int:
    return int(time.time())

"""What every `ssa-admin` command shares: JSON on stdout for scripts, words on stderr.

The words are English; amounts in them are written as the console writes them for
the operator's language (``SSA_LANG``, else ``LC_ALL``/``LANG``; French by default):
``23,40 €`` rather than ``23.40 EUR``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from functools import cache
from typing import Any

from server.languages import DEFAULT, LANGUAGES, Formats


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


def cli_language() -> str:
    for name in ("SSA_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")[:2].lower()
        if value in LANGUAGES:
            return value
    return DEFAULT


@cache
def _formats(language: str, timezone: str) -> Formats:
    return Formats(language, timezone)


def money(cents: int, timezone: str = "Europe/Brussels") -> str:
    """An amount as the console shows it in the operator's language ('23,40 €')."""
    return _formats(cli_language(), timezone).money(cents)


def plural(n: int, one: str, many: str) -> str:
    """``1 member imported``, ``2 members imported`` (the CLI speaks English)."""
    return f"{n} {one if n == 1 else many}"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def now() -> int:
    return int(time.time())

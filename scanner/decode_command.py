"""`ssa-scanner decode FILE...`: the image pipeline on files, one JSON line per file."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from .decode import ImageUnreadable, decode_file


def main(files: list[str], out: TextIO = sys.stdout) -> int:
    status = 0
    for name in files:
        try:
            document = {"file": name, "texts": decode_file(name)}
        except ImageUnreadable as exc:
            document = {"file": name, "texts": [], "error": str(exc)}
            status = 1
        out.write(json.dumps(document, ensure_ascii=False) + "\n")
    return status

"""Command-line values that may begin with '-', such as base64url keys.

argparse takes ``--key -lba8…`` for two options and stops with "expected one
argument"; about one base64url key in 64 begins with '-'. Gluing such a value
to its option (``--key=-lba8…``), the spelling argparse accepts, lets people
paste a key the way they paste any other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_OPTION = re.compile(r"--?[a-z][a-z-]*")  # what a forgotten value runs into


def glue_dash_values(argv: Sequence[str], options: Iterable[str]) -> list[str]:
    """``[opt, "-value"]`` becomes ``["opt=-value"]`` for the given options.

    A value that looks like an option name is left alone, so a forgotten value
    is still reported instead of swallowing the next option.
    """
    wanted = frozenset(options)
    out: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--":
            out.append(arg)
            out.extend(args)
            break
        if arg in wanted:
            value = next(args, None)
            if value is None:
                out.append(arg)
            elif value.startswith("-") and not _OPTION.fullmatch(value):
                out.append(f"{arg}={value}")
            else:
                out.extend((arg, value))
            continue
        out.append(arg)
    return out

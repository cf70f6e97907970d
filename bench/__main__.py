"""Run every ``bench/bench_*.py`` module's ``run()`` (or only those named on the command line).

Each benchmark prints its own figures and returns a dict; the whole set is also
written to ``bench/results.json`` (not committed) so notes can quote it.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = set(argv)
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    results = {}
    for name in names:
        if wanted and name not in wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        results[name] = module.run()
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    (HERE / "results.json").write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

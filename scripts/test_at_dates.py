"""Run the test suite with the whole machine's clock moved to the dates that break software.

Each run preloads libfaketime (Debian's ``faketime`` package) with a relative
offset, so the test process, every server and till it starts, and SQLite all
see the same moved clock, ticking on from the chosen instant. Chromium is not
preloaded (it does not start under libfaketime); the browser tests install the
same instant in the page instead (``tests/conftest.py``, ``launch_chromium``).
PostgreSQL runs outside and keeps the real clock: no SQL statement reads it.

    python scripts/test_at_dates.py                      # every date below
    python scripts/test_at_dates.py 2028-02-29T23:30     # chosen ones (Europe/Brussels time)
    PYTEST_ARGS="tests/server -x" python scripts/test_at_dates.py

Exit status: 0 when the suite passed at every date.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")

# (local time in Brussels, why it is risky)
DATES = {
    "2027-02-01T00:30": "the 1st of a month, half an hour into it",
    "2027-04-30T23:30": "the last day of a month, half an hour before the next",
    "2028-02-29T12:00": "a leap day",
    "2027-03-28T03:30": "the spring DST switch in Brussels (02:00 became 03:00)",
    "2027-10-31T02:30": "the autumn DST switch in Brussels (the hour that happens twice)",
    "2027-12-31T23:30": "New Year's Eve, 23:30 local (22:30 UTC)",
}


def epoch(local: str) -> int:
    return int(datetime.fromisoformat(local).replace(tzinfo=BRUSSELS).timestamp())


def library() -> Path:
    for candidate in (LIBFAKETIME, *Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1")):
        if candidate.exists():
            return candidate
    sys.exit("libfaketime is missing: install Debian's faketime package (make system-deps does)")


def run_at(local: str, pytest_args: list[str]) -> int:
    offset = epoch(local) - int(time.time())
    env = {
        **os.environ,
        "LD_PRELOAD": str(library()),
        "FAKETIME": f"{offset:+d}",
        # The monotonic clock moves by the same offset, so durations stay real (with
        # FAKETIME_DONT_FAKE_MONOTONIC, Python's time.sleep fails with EINVAL).
        "SSA_TEST_DATE": local,
    }
    print(f"\n=== {local} Europe/Brussels ({DATES.get(local, 'chosen')}) ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], env=env)


def main(argv: list[str]) -> int:
    dates = argv or list(DATES)
    for local in dates:
        datetime.fromisoformat(local)  # a clear error for a mistyped date
    pytest_args = shlex.split(os.environ.get("PYTEST_ARGS", "")) or ["-q"]
    failed = [local for local in dates if run_at(local, pytest_args) != 0]
    if failed:
        print(f"the suite failed at: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"the suite passed at every date: {', '.join(dates)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

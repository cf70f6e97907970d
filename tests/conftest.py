"""Shared test fixtures: the protocol vectors, and the rule for absent services.

On a developer's machine a test whose service (PostgreSQL, Chromium, ../shared)
is absent skips with its reason; under CI (``CI`` set, as `.ci/run` does) the
same absence fails the test, so CI never skips one silently.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import settings

# Fuzz tests prove what inputs do, not how fast: a per-example deadline would
# turn a busy CI machine into a failure. Speed is measured in bench/. On developer
# machines each run explores new inputs; CI replays a fixed, reproducible set, so
# its verdict on a commit is the same every time (what a developer run finds is
# fixed and kept as an explicit example).
settings.register_profile("ssa", deadline=None, print_blob=True)
settings.register_profile("ssa-ci", parent=settings.get_profile("ssa"), derandomize=True)
settings.load_profile("ssa-ci" if os.environ.get("CI") else "ssa")

ROOT = Path(__file__).resolve().parent.parent
VECTORS_DIR = ROOT / "tests" / "vectors"
SHARED_DIR = ROOT.parent / "shared"


def service_missing(reason: str) -> None:
    """Skip (developer machine) or fail (CI) because a required service is absent."""
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(name="service_missing", scope="session")
def service_missing_fixture():
    """The ``service_missing`` rule as a fixture, for tests in any folder."""
    return service_missing


def now_s() -> int:
    """The time of day, in epoch seconds: the one place the suite reads it (see ``Clock``)."""
    return int(time.time())


class Clock:
    """A settable clock shared by an app under test and the test itself.

    The one place the suite reads the time of day: every time-dependent test
    takes ``clock`` or ``now`` (or a ``Clock`` made from them). `make test-dates`
    runs the suite with the machine's clock moved to the dates that break software
    (month ends, a leap day, DST switches, New Year's Eve), so a test that only
    passes on some days fails there.
    """

    def __init__(self, t: float | None = None) -> None:
        self.t = float(now_s() if t is None else t)

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def now(clock: Clock) -> int:
    """This test's instant, in epoch seconds (from ``clock``)."""
    return int(clock())


def pytest_report_header(config) -> str | None:
    moved = os.environ.get("SSA_TEST_DATE")
    return f"clock moved to {moved} Europe/Brussels (libfaketime)" if moved else None


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium(pw, extra_args: tuple[str, ...] = ()):
    """Debian's Chromium under Playwright, on the suite's clock (``extra_args``: a fake camera).

    Chromium does not start under libfaketime, so it is launched without it; when
    the suite runs at a moved date (`make test-dates`) each new browser context's
    clock is installed at the test's instant and ticks on from there.
    """
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    args = [*CHROMIUM_ARGS, *extra_args]
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args, env=env)
    if os.environ.get("FAKETIME"):
        plain_new_context = browser.new_context

        def new_context(**options):
            context = plain_new_context(**options)
            context.clock.install(time=time.time())
            return context

        browser.new_context = new_context
    return browser


@pytest.fixture(name="launch_chromium", scope="session")
def launch_chromium_fixture():
    return launch_chromium


def scan_vector_files() -> list[Path]:
    return sorted(p for p in VECTORS_DIR.glob("[0-9][0-9][0-9]-*.json"))


def load_vector(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def encoding_vector() -> dict:
    return load_vector(VECTORS_DIR / "encoding.json")


@dataclass
class RealServer:
    """The project's own caisse server under uvicorn (``ssa-server``), on a SQLite file
    (or the PostgreSQL ``database``); ``urls`` lists every server process of it."""

    url: str
    data: Path
    root_public_key: bytes
    env: dict
    database: str | None = None
    urls: tuple[str, ...] = ()

    def admin(self, *args: str, **extra_env: str) -> dict:
        """Run ``ssa-admin --data DATA ARGS``; its last JSON line."""
        db = [] if self.database is None else ["--database", self.database]
        proc = subprocess.run(
            [Path(sys.executable).parent / "ssa-admin", "--data", str(self.data), *db, *args],
            env={**self.env, **extra_env}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_caisse(
    data: Path,
    *,
    caisse: str,
    prepare: Callable[[RealServer], None] | None = None,
    database: str | None = None,
    processes: int = 1,
    proxy_headers: bool = False,
) -> Iterator[RealServer]:
    """``ssa-admin init`` (cheap KDF) in ``data``, ``prepare`` it, then serve it on a free
    loopback port with ``ssa-server`` until the block ends.

    ``database``: a PostgreSQL URL (with ``?schema=``) instead of the SQLite file;
    ``processes``: that many server processes on one database, each on its own port;
    ``proxy_headers``: trust X-Forwarded-For from loopback (a test speaks for many
    client addresses)."""
    ports = [_free_port() for _ in range(processes)]
    urls = tuple(f"http://127.0.0.1:{port}" for port in ports)
    env = {**os.environ, "SSA_PASSPHRASE": f"{caisse}-test-passphrase"}
    server = RealServer(urls[0], data, b"", env, database, urls)
    init = server.admin("init", "--caisse", caisse, "--kdf", "interactive", "--base-url", urls[0])
    server.root_public_key = bytes.fromhex(init["root_public_key"])
    if prepare is not None:
        prepare(server)
    db = [] if database is None else ["--database", database]
    extra = ["--proxy-headers"] if proxy_headers else []
    command = [Path(sys.executable).parent / "ssa-server", "--data", str(data), *db, *extra]
    # Each server's log goes to a file: a pipe nobody reads fills up (64 KiB of access
    # log, a few hundred requests) and then blocks the server in the middle of a test.
    logs = [(data / f"server-{port}.log").open("wb") for port in ports]
    procs = [
        subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=log
        )
        for port, log in zip(ports, logs, strict=True)
    ]
    try:
        for url, proc, port in zip(urls, procs, ports, strict=True):
            for _ in range(150):
                try:
                    if httpx.get(url + "/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                proc.kill()
                tail = (data / f"server-{port}.log").read_bytes().decode(errors="replace")
                pytest.fail(f"ssa-server did not start: {tail[-2000:]}")
        yield server
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)
        for log in logs:
            log.close()


@pytest.fixture(scope="module")
def real_server(tmp_path_factory: pytest.TempPathFactory):
    """A fresh caisse served on a free loopback port for one test module."""
    with serve_caisse(tmp_path_factory.mktemp("caisse"), caisse="be-test-caisse") as server:
        yield server

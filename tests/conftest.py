"""Shared test fixtures: the protocol vectors, and the rule for absent services.

On a developer's machine a test whose service (PostgreSQL, Chromium, ../shared)
is absent skips with its reason; under CI (``CI`` set, as `.ci/run` does) the
same absence fails the test, so CI never skips one silently.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

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


def scan_vector_files() -> list[Path]:
    return sorted(p for p in VECTORS_DIR.glob("[0-9][0-9][0-9]-*.json"))


def load_vector(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def encoding_vector() -> dict:
    return load_vector(VECTORS_DIR / "encoding.json")

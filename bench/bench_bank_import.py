"""Importing a 10,000-line bank statement against 10,000 households.

A CODA file (built field by field like the tests' statements) of 10,000 credits:
9,000 with a household's structured communication, 500 from an IBAN known for a
household with its monthly amount, 500 with a reference nobody has. It is imported
with ``import_statement`` (parse, match, store in one transaction), then imported
again (every entry a duplicate). Each backend runs in its own subprocess, so its peak
RSS (``ru_maxrss``) is its own; ``tracemalloc`` gives the import's own Python peak.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

from bench.postgres import UNREACHABLE, local_url, schema_for
from server.caisse.households import reference_digits
from server.config import Config
from server.db.seam import open_database
from server.ledger.bank_import import import_statement
from server.storage.core import Storage
from tests.server.bank_statements import Move, coda

HOUSEHOLDS = int(os.environ.get("SSA_BENCH_HOUSEHOLDS", "10000"))
LINES = int(os.environ.get("SSA_BENCH_LINES", "10000"))
ACCOUNT = "BE62510007547061"


def _iban(n: int) -> str:
    from stdnum import iban

    base = f"{96:03d}{n:07d}"
    bban = base + f"{int(base) % 97 or 97:02d}"
    return "BE" + iban.calc_check_digits("BE00" + bban) + bban


def statement(day: date) -> bytes:
    moves = []
    for i in range(LINES):
        household = i % HOUSEHOLDS + 1
        if i % 20 == 18:  # known IBAN and the household's amount, no communication
            moves.append(
                Move(
                    1000 + household % 7 * 100,
                    day,
                    f"IB{i:019d}",
                    text="cotisation",
                    iban=_iban(household),
                )
            )
        elif i % 20 == 19:  # a reference nobody has
            base = f"9{i:09d}"
            ref = base + f"{int(base) % 97 or 97:02d}"
            moves.append(Move(1234, day, f"UN{i:019d}", structured=ref, iban=_iban(10**6 + i)))
        else:
            moves.append(
                Move(
                    1000 + household % 7 * 100,
                    day,
                    f"ST{i:019d}",
                    structured=reference_digits(household),
                    iban=_iban(household),
                )
            )
    # A movement's sequence number has 4 digits: the bank splits into daily statements.
    blocks = [moves[i : i + 9000] for i in range(0, len(moves), 9000)]
    return b"".join(
        coda(ACCOUNT, block, created=day, sequence=n) for n, block in enumerate(blocks, 1)
    )


async def _prepare(storage: Storage) -> None:
    async with storage.transaction() as q:
        for hid in range(1, HOUSEHOLDS + 1):
            await q.households.insert_household(hid, None, 1, 0, None, reference_digits(hid), 0)
            await q.households.insert_choice(
                hid, "2026-01", 1000 + hid % 7 * 100, None, None, False, "free", "bench", 0
            )
            await q.contributions.add_iban(_iban(hid), hid)  # from a mandate or a payment


async def _measure(url: str | None, schema: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(data_dir=Path(tmp), caisse="bench-caisse", database_url=url)
        storage = Storage(open_database(config.database, schema=schema))
        await storage.open()
        try:
            await _prepare(storage)
            data = statement(date(2026, 3, 2))
            tracemalloc.start()
            started, cpu = time.perf_counter(), time.process_time()
            first = await import_statement(storage, config, data, actor="bench", now=1)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            _, heap_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            started = time.perf_counter()
            again = await import_statement(storage, config, data, actor="bench", now=2)
            again_s = time.perf_counter() - started
        finally:
            await storage.close()
    return {
        "lines": first.lines,
        "matched": first.matched,
        "unmatched": first.unmatched,
        "import_s": round(seconds, 2),
        "matched_per_s": round(first.matched / seconds),
        "import_cpu_s": round(cpu, 2),  # this process only (PostgreSQL works in its own)
        "lines_per_s": round(first.lines / seconds),
        "reimport_s": round(again_s, 2),
        "reimport_duplicates": again.duplicates,
        "import_heap_peak_mib": round(heap_peak / 2**20, 1),
        "statement_kib": round(len(data) / 1024),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _child(backend: str) -> None:
    url = local_url() if backend == "postgres" else None
    with schema_for(url) as schema:
        print(json.dumps(asyncio.run(_measure(url, schema))))


def run() -> dict:
    results: dict = {"households": HOUSEHOLDS, "lines": LINES}
    for backend in ("sqlite", "postgres"):
        if backend == "postgres" and local_url() is None:
            results[backend] = UNREACHABLE
            print(f"   {backend}: {UNREACHABLE}")
            continue
        proc = subprocess.run(
            [sys.executable, "-m", "bench.bench_bank_import", backend],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        figures = json.loads(proc.stdout.splitlines()[-1])
        results[backend] = figures
        print(
            f"   {backend}: {figures['lines']} lines, {figures['matched']} matched in "
            f"{figures['import_s']} s ({figures['matched_per_s']} matched/s, "
            f"{figures['import_cpu_s']} s CPU here), again "
            f"{figures['reimport_s']} s ({figures['reimport_duplicates']} duplicates); "
            f"heap peak {figures['import_heap_peak_mib']} MiB, peak RSS "
            f"{figures['peak_rss_mib']} MiB"
        )
    return results


if __name__ == "__main__":
    _child(sys.argv[1])

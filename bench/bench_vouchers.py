"""Voucher sheets for 1,000 paper members: time and peak memory of the PDF run, and the share
of QRs read back from pages rasterised at 150 dpi.

A caisse on SQLite with ``SSA_BENCH_VOUCHER_MEMBERS`` (default 1,000) paper members at
the flat 150 € (eight vouchers each: 7 × 20 € + 10 €). In a subprocess of its own (so its
peak RSS, ``ru_maxrss``, is the run's): the first ``voucher print`` of the month (sign,
store, render the PDF), then the same month printed again (reprint: read back, render).
Then ``SSA_BENCH_VOUCHER_PAGES`` pages (default 100, spread evenly; ``all`` for every
page) are rasterised by pdftoppm at 150 dpi, and every QR on them is read by the till's
own pipeline (``scanner.decode.decode_file``) and by zxing-cpp alone; the share read is
against the vouchers those pages carry.
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
from pathlib import Path

MEMBERS = int(os.environ.get("SSA_BENCH_VOUCHER_MEMBERS", "1000"))
PAGES = os.environ.get("SSA_BENCH_VOUCHER_PAGES", "100")
NAMES = ("Şahin", "Łukasz", "Nguyễn", "Ødegård", "Dupont", "Peeters", "Müller", "Ferreira")


async def _make_caisse(tmp: Path) -> tuple[object, int]:
    from bench.bench_intake import bench_caisse
    from server.caisse import channels, members

    cfg, app, _issuer, now = await bench_caisse(tmp, None, None, age_s=60)
    storage = app.state.ctx.storage
    await storage.open()
    try:
        for i in range(MEMBERS):
            async with storage.transaction() as q:
                made = await members.add_member(
                    q, cfg, name=f"{NAMES[i % len(NAMES)]} {i:04d}", email=None, now=now
                )
                await channels.set_channel(
                    q, cfg, None, made["member_id"], "paper", actor="bench", now=now
                )
    finally:
        await storage.close()
    return cfg, now


def child(data_dir: str, out_dir: str) -> None:
    """The measured run: print the month twice; figures as one JSON line."""
    from keys import keystore
    from server import config as config_mod
    from server.caisse.keyring import open_keyring
    from server.caisse.setup import open_caisse
    from server.caisse.sheets import print_run
    from server.caisse.voucher_pdf import render_sheets
    from server.periods import period_at

    async def go() -> dict:
        cfg = config_mod.load(data_dir)
        keyring = open_keyring(cfg, keystore.passphrase_from_env_or_prompt())
        t = int(time.time())
        period = period_at(t, __import__("zoneinfo").ZoneInfo(cfg.timezone)).name
        figures: dict = {}
        async with open_caisse(data_dir) as caisse:
            for label in ("first", "reprint"):
                started = time.perf_counter()
                run = await print_run(
                    caisse.storage, caisse.config, keyring, period, actor="bench", now=t
                )
                issued = time.perf_counter()
                body = render_sheets(
                    caisse.config, [s.printable() for s in run.sheets], printed_at=t
                )
                done = time.perf_counter()
                Path(out_dir, f"{label}.pdf").write_bytes(body)
                figures[label] = {
                    "sheets": len(run.sheets),
                    "vouchers": run.vouchers,
                    "total_cents": run.total_cents,
                    "issue_s": round(issued - started, 2),
                    "render_s": round(done - issued, 2),
                    "total_s": round(done - started, 2),
                    "pdf_bytes": len(body),
                }
        figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return figures

    print(json.dumps(asyncio.run(go())))


def _read_back(pdf: Path, folder: Path, pages: list[int]) -> dict:
    import cv2
    import zxingcpp

    from scanner.decode import decode_file

    ours = theirs = 0
    started = time.perf_counter()
    for page in pages:
        prefix = folder / f"p{page}"
        subprocess.run(
            ["pdftoppm", "-r", "150", "-f", str(page), "-l", str(page), "-png", "-singlefile",
             str(pdf), str(prefix)],
            check=True, timeout=120,
        )  # fmt: skip
        png = prefix.with_suffix(".png")
        ours += len(decode_file(png))
        gray = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
        theirs += len(zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode))
        png.unlink()
    return {"ours": ours, "zxing": theirs, "seconds": round(time.perf_counter() - started, 1)}


def run() -> dict:
    from pypdf import PdfReader

    from bench.bench_intake import PASSPHRASE

    with tempfile.TemporaryDirectory(prefix="ssa-bench-vouchers-") as tmp_name:
        tmp = Path(tmp_name)
        print(f"   {MEMBERS} paper members ...", flush=True)
        asyncio.run(_make_caisse(tmp))
        env = {**os.environ, "SSA_PASSPHRASE": PASSPHRASE}
        proc = subprocess.run(
            [sys.executable, "-m", "bench.bench_vouchers", str(tmp / "data"), str(tmp)],
            capture_output=True, text=True, env=env, timeout=3600,
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        figures = json.loads(proc.stdout.splitlines()[-1])
        first = figures["first"]
        print(
            f"   first print: {first['vouchers']} vouchers on {first['sheets']} sheets, "
            f"{first['total_s']} s (sign+store {first['issue_s']} s, PDF {first['render_s']} s), "
            f"{first['pdf_bytes'] / 2**20:.1f} MB; reprint {figures['reprint']['total_s']} s; "
            f"peak RSS {figures['peak_rss_mb']} MB",
            flush=True,
        )
        pdf = tmp / "first.pdf"
        total_pages = len(PdfReader(pdf).pages)
        if PAGES == "all":
            pages = list(range(1, total_pages + 1))
        else:
            n = min(int(PAGES), total_pages)
            pages = sorted({1 + (i * total_pages) // n for i in range(n)})
        expected = 8 * len(pages)  # every bench sheet is one full page of eight
        read = _read_back(pdf, tmp, pages)
        figures["read_back"] = {
            "pages": len(pages),
            "qrs": expected,
            "ours_share": round(read["ours"] / expected, 4),
            "zxing_share": round(read["zxing"] / expected, 4),
            "seconds": read["seconds"],
        }
        print(
            f"   150 dpi: {read['ours']}/{expected} QRs read by the till's pipeline, "
            f"{read['zxing']}/{expected} by zxing-cpp, on {len(pages)} of {total_pages} pages",
            flush=True,
        )
        return figures


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2])

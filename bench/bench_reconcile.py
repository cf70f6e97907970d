"""Reconciliation throughput and memory.

1. Upload + reconcile of 10,000 payments (100 members × 100 payments over 5
   shops) through the real API (signed batches of 1000) and ``reconcile()``,
   as a ratio to raw PyNaCl two-signature verification of the same payments
   measured in the same run (goal ≥ 0.5); each side is the fastest of three
   interleaved rounds, each round on a fresh caisse.
2. Time and peak memory of ``reconcile()`` over N synthetic accepted payments
   (default 100,000; ``SSA_BENCH_RECONCILE_N=1000000`` for the federal-size
   run) on SQLite and PostgreSQL, each in its own subprocess so its peak RSS
   (``ru_maxrss``) is its own. These rows are inserted directly through the
   storage layer (``Queries.insert_scans``), not through HTTP: the point is the
   reconciliation, and 1M signed uploads would take most of an hour here.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from nacl.signing import SigningKey

from bench.bench_intake import (
    ROUNDS,
    activate_wallets,
    bench_caisse,
    enrolled_scanner,
    fastest_round,
    latest_list_seq,
    signed_batches,
    upload,
)
from bench.postgres import UNREACHABLE, local_url, schema_for
from keys import tokens
from server.ledger.reconcile import reconcile
from server.storage.core import ScanRow

MEMBERS, PER_MEMBER, SHOPS, BATCH = 100, 100, 5, 1000
LARGE_N = int(os.environ.get("SSA_BENCH_RECONCILE_N", "100000"))


async def _upload_and_reconcile(tmp: Path, database_url: str | None, schema: str | None) -> dict:
    cfg, app, issuer, now = await bench_caisse(
        tmp, database_url, schema, age_s=300, allowance_cents=PER_MEMBER * 100
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as client,
    ):
        storage = app.state.ctx.storage
        wallets = await activate_wallets(client, storage, cfg, MEMBERS, now)
        scanners = [
            await enrolled_scanner(client, storage, cfg, f"shop {i}", now) for i in range(SHOPS)
        ]
        t = int(time.time())
        seq = await latest_list_seq(storage)
        per_shop: list[list[dict]] = [[] for _ in range(SHOPS)]
        cose = []
        for s in range(1, PER_MEMBER + 1):
            for w, (key, cred) in enumerate(wallets):
                p = tokens.encode_payment(
                    credential_cose=cred,
                    amount_cents=100,
                    seq=s,
                    cumulative_cents=100 * s,
                    iat=t,
                    member_key=key,
                )
                cose.append(p)
                per_shop[(w + s) % SHOPS].append(
                    {"qr": tokens.to_qr(p), "scanned_at": t, "result": "OK", "trust_list_seq": seq}
                )
        requests = [
            batch
            for shop, scans in enumerate(per_shop)
            for batch in signed_batches(scanners[shop], scans, BATCH, t)
        ]
        started = time.perf_counter()
        accepted = await upload(client, requests)
        uploaded = time.perf_counter()
        summary = await reconcile(storage, cfg, now=t + 1, until=t + 1)
        done = time.perf_counter()
    assert accepted == summary.payments == len(cose), (accepted, summary.payments)
    return {
        "payments": accepted,
        "upload_s": uploaded - started,
        "reconcile_s": done - uploaded,
        "rate": accepted / (done - started),
        "cose": cose,
        "issuer_key": bytes(issuer[0].verify_key),
    }


def _throughput(name: str, url: str | None) -> dict:
    r, raw = fastest_round(_upload_and_reconcile, url)
    ratio = r["rate"] / raw
    print(
        f"   {name:8s} upload+reconcile {r['rate']:7.0f} payments/s (upload {r['upload_s']:.1f} s, "
        f"reconcile {r['reconcile_s']:.1f} s) | raw PyNaCl 2-sig {raw:7.0f}/s | ratio {ratio:.2f} "
        f"(best of {ROUNDS})",
        flush=True,
    )
    return {
        "payments": r["payments"],
        "upload_s": round(r["upload_s"], 2),
        "reconcile_s": round(r["reconcile_s"], 2),
        "per_s": round(r["rate"]),
        "raw_two_sig_per_s": round(raw),
        "ratio": round(ratio, 3),
    }


async def _large(n: int, url: str | None, schema: str | None) -> dict:
    """n synthetic accepted payments (10 per credential, 5 shops), then one reconcile."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg, app, _, now = await bench_caisse(
            Path(tmp), url, schema, age_s=300, allowance_cents=PER_MEMBER * 100
        )
        storage = app.state.ctx.storage
        await storage.open()
        try:
            key = SigningKey.generate()
            sample = tokens.encode_payment(
                credential_cose=_sample_credential(cfg, app),
                amount_cents=100,
                seq=1,
                cumulative_cents=100,
                iat=now,
                member_key=key,
            )
            t0 = time.perf_counter()
            chunk = 10_000
            for start in range(0, n, chunk):
                rows = []
                for i in range(start, min(n, start + chunk)):
                    cti, seq = (i // 10).to_bytes(16, "big"), i % 10 + 1
                    rows.append(
                        ScanRow(
                            scan_key=secrets.token_bytes(32),
                            token_id=secrets.token_bytes(32),
                            status="accepted",
                            code="OK",
                            message="",
                            kind="payment",
                            token=sample,
                            qr=None,
                            cti=cti,
                            member_sub=cti[:8],
                            seq=seq,
                            amount_cents=100,
                            cumulative_cents=100 * seq,
                            iat=now,
                            aud=None,
                            scanned_at=now,
                            trust_list_seq=1,
                            scanner_result="OK",
                        )
                    )
                async with storage.transaction() as q:
                    await q.insert_scans(f"shop-{start // chunk % 5}", f"b{start}", now, rows)
            inserted = time.perf_counter()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            summary = await reconcile(storage, cfg, now=now + 10, until=now + 10)
            done = time.perf_counter()
        finally:
            await storage.close()
    assert summary.payments == n
    return {
        "payments": n,
        "insert_s": round(inserted - t0, 1),
        "reconcile_s": round(done - inserted, 1),
        "reconcile_per_s": round(n / (done - inserted)),
        "peak_rss_mib_before_reconcile": round(rss_before / 1024),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _sample_credential(cfg, app) -> bytes:  # type: ignore[no-untyped-def]
    ring = app.state.ctx.keyring
    _kid, issuer = next(iter(ring.issuers.items()))
    return tokens.encode_credential(
        iss=cfg.caisse,
        sub=b"\0" * 8,
        cti=b"\0" * 16,
        nbf=0,
        exp=2**32,
        allowance_cents=10**6,
        member_public_key=b"\0" * 32,
        issuer_key=issuer,
    )


def _large_in_subprocess(name: str, url: str | None) -> dict:
    with schema_for(url) as schema:
        code = (
            "import asyncio, json, sys; from bench.bench_reconcile import _large; "
            f"print(json.dumps(asyncio.run(_large({LARGE_N}, {url!r}, {schema!r}))))"
        )
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr[-2000:], flush=True)
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"   {name:8s} {r['payments']:>9,} payments: insert {r['insert_s']} s, reconcile "
        f"{r['reconcile_s']} s ({r['reconcile_per_s']}/s), peak RSS {r['peak_rss_mib']} MiB "
        f"({r['peak_rss_mib_before_reconcile']} MiB before reconcile)",
        flush=True,
    )
    return r


def run() -> dict:
    out: dict = {"sqlite": _throughput("sqlite", None)}
    pg = local_url()
    out["postgres"] = _throughput("postgres", pg) if pg else {"skipped": UNREACHABLE}
    out["large_sqlite"] = _large_in_subprocess("sqlite", None)
    if pg is not None:
        out["large_postgres"] = _large_in_subprocess("postgres", pg)
    return out


if __name__ == "__main__":
    run()

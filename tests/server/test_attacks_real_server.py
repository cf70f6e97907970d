"""Attacks with real concurrent HTTP clients against real server processes (issue 11).

``ssa-server`` under uvicorn in subprocesses, on a SQLite file and on a
PostgreSQL schema; clients are threads released together by a barrier, so the
requests really overlap inside the server(s).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from nacl.signing import SigningKey

from keys import ed25519, tokens
from keys.signed_request import b64url_decode, b64url_encode, sign_request
from tests.conftest import RealServer, now_s, serve_caisse

BATCHES = "/api/v1/merchant/batches"


@contextmanager
def live(backend: Any, tmp_path: Path, **options: Any) -> Iterator[RealServer]:
    """A real caisse on this test's backend (SQLite file, or its PostgreSQL schema)."""
    database = None if backend.url is None else f"{backend.url}?schema={backend.schema}"
    with serve_caisse(
        tmp_path / "caisse", caisse="be-attack", database=database, **options
    ) as server:
        yield server


def together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread, all released at the same instant."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # reported by the test, not lost in a thread
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def enrolled_shop(server: RealServer, name: str) -> SigningKey:
    code = server.admin("merchant", "add", "--name", name, "--iban", "BE71096123456769")
    key = SigningKey.generate()
    r = httpx.post(
        server.url + "/api/v1/merchant/enroll",
        json={
            "code": code["enrollment_code"],
            "public_key": b64url_encode(bytes(key.verify_key)),
        },
    )
    assert r.status_code == 200, r.text
    return key


def member_wallet(server: RealServer) -> tuple[SigningKey, bytes]:
    added = server.admin("member", "add", "--name", "Ada")
    key = SigningKey.generate()
    r = httpx.post(
        server.url + "/api/v1/wallet/activate",
        json={
            "code": added["activation_code"],
            "public_key": b64url_encode(ed25519.public_key_of(key)),
        },
    )
    assert r.status_code == 200, r.text
    return key, b64url_decode(r.json()["credential"])


def upload(url: str, key: SigningKey, scans: list[dict], batch_id: str) -> httpx.Response:
    body = json.dumps({"batch_id": batch_id, "scans": scans}).encode()
    header = sign_request(key, "POST", BATCHES, body, now_s())
    return httpx.post(
        url + BATCHES,
        content=body,
        headers={"Authorization": header, "Content-Type": "application/json"},
        timeout=60,
    )


def today() -> str:
    return datetime.fromtimestamp(now_s(), ZoneInfo("Europe/Brussels")).date().isoformat()


def test_two_shops_uploading_one_token_at_once_are_paid_once(backend, tmp_path):
    """Item 3: on PostgreSQL both were told received: 1 and no copy was kept (9 in 10)."""
    trials = 10
    with live(backend, tmp_path, processes=2) as server:
        shops = [enrolled_shop(server, f"Shop {i}") for i in range(2)]
        member, credential = member_wallet(server)
        now = now_s()
        for n in range(1, trials + 1):
            qr = tokens.to_qr(
                tokens.encode_payment(
                    credential_cose=credential,
                    amount_cents=100,
                    seq=n,
                    cumulative_cents=100 * n,
                    iat=now - 5,
                    member_key=member,
                )
            )
            scans = [{"qr": qr, "scanned_at": now - 3, "result": "OK"}]
            answers = together(
                [
                    lambda i=i, n=n, scans=scans: upload(
                        server.urls[i], shops[i], scans, f"t{n}-{i}"
                    )
                    for i in range(2)
                ]
            )
            assert all(isinstance(a, httpx.Response) for a in answers), answers
            got = sorted((a.json()["received"], a.json()["duplicates"]) for a in answers)
            assert got == [(0, 1), (1, 0)], (n, [a.text for a in answers])
        summary = server.admin("reconcile", "--until", today(), "--no-sign")
    assert (summary["payments"], summary["total_cents"]) == (trials, 100 * trials)
    assert (summary["withheld"], summary["findings_new"]) == (trials, trials)
    assert {f["kind"] for f in summary["double_spends"]} == {"token_copy"}
    assert summary["blocked"] == []

"""Merchant lifecycle through HTTP: enrolment, uploads, suspension, signed-request rules."""

from __future__ import annotations

import httpx
import pytest
from nacl.signing import SigningKey

from keys.signed_request import b64url_decode, b64url_encode, sign_request
from keys.trust_list import open_trust_list
from server.caisse import merchants

from .conftest import Harness

pytestmark = pytest.mark.anyio
BATCHES = "/api/v1/merchant/batches"


async def test_enrolment_returns_merchant_id_root_key_and_a_trust_list_it_verifies(api):
    shop = await api.add_shop()
    r = await api.client.post(
        "/api/v1/merchant/enroll",
        json={"code": shop.code, "public_key": b64url_encode(bytes(shop.key.verify_key))},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["merchant_id"] == shop.merchant_id
    root = b64url_decode(body["root_public_key"])
    assert root == bytes(api.keys.root.verify_key)
    assert open_trust_list(b64url_decode(body["trust_list"]), root).seq >= 1


async def test_an_enrolment_code_works_only_once(api):
    shop = await api.enroll()
    r = await api.client.post(
        "/api/v1/merchant/enroll",
        json={
            "code": shop.code,
            "public_key": b64url_encode(bytes(SigningKey.generate().verify_key)),
        },
    )
    assert r.status_code == 400
    assert r.json()["error"] == "INVALID_CODE"


async def test_a_suspended_merchant_cannot_upload_nor_enrol(api):
    shop = await api.enroll()
    async with api.ctx.storage.transaction() as q:
        second = await merchants.new_enrollment_code(q, api.cfg, shop.merchant_id, api.now)
        await merchants.set_status(q, shop.merchant_id, "suspended", api.now)
    r = await api.upload(shop, [])
    assert r.status_code == 403
    assert r.json()["error"] == "MERCHANT_SUSPENDED"
    r = await api.client.post(
        "/api/v1/merchant/enroll",
        json={
            "code": second.enrollment_code,
            "public_key": b64url_encode(bytes(SigningKey.generate().verify_key)),
        },
    )
    assert r.status_code == 400  # suspending spent the shop's open codes


async def test_an_empty_batch_is_accepted(api):
    shop = await api.enroll()
    r = await api.upload(shop, [], batch_id="empty-1")
    assert r.status_code == 200
    assert r.json() == {"batch_id": "empty-1", "received": 0, "duplicates": 0, "rejected": 0}


async def test_unsigned_request_is_refused_with_401(api):
    r = await api.client.post(BATCHES, json={"batch_id": "x", "scans": []})
    assert r.status_code == 401
    assert r.json()["error"] == "UNAUTHORIZED"
    r = await api.client.get("/api/v1/wallet/credential")
    assert r.status_code == 401


@pytest.mark.parametrize("offset", [-301, 301])
async def test_a_signature_more_than_300_s_off_is_refused(api, offset):
    shop = await api.enroll()
    r = await api.signed(
        "POST", BATCHES, shop.key, {"batch_id": "x", "scans": []}, ts=api.now + offset
    )
    assert r.status_code == 401
    assert "timestamp" in r.json()["message"]
    r = await api.signed(
        "POST",
        BATCHES,
        shop.key,
        {"batch_id": "x", "scans": []},
        ts=api.now + (offset // abs(offset)) * 299,
    )
    assert r.status_code == 200


async def test_a_signature_over_another_body_or_path_is_refused(api):
    shop = await api.enroll()
    body = b'{"batch_id": "x", "scans": []}'
    header = sign_request(shop.key, "POST", BATCHES, b'{"batch_id": "y", "scans": []}', api.now)
    r = await api.client.post(BATCHES, content=body, headers={"Authorization": header})
    assert r.status_code == 401
    header = sign_request(shop.key, "POST", BATCHES, body, api.now)
    r = await api.client.post(BATCHES + "?x=1", content=body, headers={"Authorization": header})
    assert r.status_code == 401
    header = sign_request(shop.key, "POST", BATCHES + "?x=1", body, api.now)
    r = await api.client.post(BATCHES + "?x=1", content=body, headers={"Authorization": header})
    assert r.status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        "SSA1-Sig",
        "SSA1-Sig key=, ts=1, sig=",
        "SSA1-Sig key=AAAA, ts=x, sig=AAAA",
        "SSA1-Sig key=" + "A" * 43 + ", ts=1, sig=" + "A" * 86 + ", extra=1",
    ],
)
async def test_malformed_authorization_headers_get_401(api, header):
    r = await api.client.post(BATCHES, content=b"{}", headers={"Authorization": header})
    assert r.status_code == 401
    assert set(r.json()) == {"error", "message"}


async def test_an_unknown_key_is_refused(api):
    r = await api.signed("POST", BATCHES, SigningKey.generate(), {"batch_id": "x", "scans": []})
    assert r.status_code == 401
    assert r.json()["error"] == "UNKNOWN_KEY"


async def test_a_member_key_on_a_merchant_route_is_forbidden(api):
    member = await api.activate()
    r = await api.upload(member, [])  # type: ignore[arg-type]
    assert r.status_code == 403
    assert r.json()["error"] == "FORBIDDEN"


async def test_a_merchant_key_on_a_member_route_is_forbidden(api):
    shop = await api.enroll()
    r = await api.signed("GET", "/api/v1/wallet/credential", shop.key)
    assert r.status_code == 403


async def test_code_guessing_hits_the_per_address_limit_then_recovers(api, clock):
    shop = await api.add_shop()
    key = b64url_encode(bytes(SigningKey.generate().verify_key))
    for _ in range(api.cfg.rate_limit.per_ip):
        r = await api.client.post(
            "/api/v1/merchant/enroll", json={"code": "AAAA-AAAA-AAAA-AAAA-AAAA", "public_key": key}
        )
        assert r.status_code == 400
    # Even the right code is refused while the address is limited.
    r = await api.client.post(
        "/api/v1/merchant/enroll", json={"code": shop.code, "public_key": key}
    )
    assert r.status_code == 429
    assert r.json()["error"] == "RATE_LIMITED"
    assert int(r.headers["Retry-After"]) > 0
    clock.advance(api.cfg.rate_limit.window_s)
    r = await api.client.post(
        "/api/v1/merchant/enroll", json={"code": shop.code, "public_key": key}
    )
    assert r.status_code == 200


async def test_two_server_processes_and_a_restart_share_one_failure_count(api):
    """Counts live in the database: a guesser gains nothing by spreading tries over the
    servers behind a load balancer, or by waiting for a restart."""
    key = b64url_encode(bytes(SigningKey.generate().verify_key))
    wrong = {"code": "AAAA-AAAA-AAAA-AAAA-AAAA", "public_key": key}
    other = await Harness(api.cfg, api.backend, api.keys, api.clock).start()
    try:
        for i in range(api.cfg.rate_limit.per_ip):
            server = api if i % 2 else other
            r = await server.client.post("/api/v1/merchant/enroll", json=wrong)
            assert r.status_code == 400
    finally:
        await other.stop()
    restarted = await Harness(api.cfg, api.backend, api.keys, api.clock).start()
    try:
        r = await restarted.client.post("/api/v1/merchant/enroll", json=wrong)
        assert r.status_code == 429
    finally:
        await restarted.stop()


async def test_code_guessing_from_many_addresses_hits_the_global_limit(api):
    """A last resort: over the global bound, only addresses that failed are refused; a
    member with a valid code, from an address that guessed nothing wrong, is served."""
    limits = api.cfg.rate_limit
    key = b64url_encode(bytes(SigningKey.generate().verify_key))

    async def post(address: str, code: str, public_key: str = key) -> int:
        transport = httpx.ASGITransport(app=api.app, client=(address, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            r = await c.post(
                "/api/v1/wallet/activate", json={"code": code, "public_key": public_key}
            )
            return r.status_code

    addresses = [f"10.0.{i // 250}.{i % 250}" for i in range(limits.global_)]
    assert [await post(a, "nope") for a in addresses] == [400] * limits.global_
    assert await post(addresses[0], "nope") == 429  # one of the guessers, again
    member = await api.add_member()
    fresh = b64url_encode(bytes(member.key.verify_key))
    assert await post("192.0.2.7", member.code, fresh) == 200  # never refused for others


async def test_trust_list_is_served_with_an_etag_and_304_when_unchanged(api):
    r = await api.client.get("/api/v1/trust-list")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/cose"
    etag = r.headers["etag"]
    r2 = await api.client.get("/api/v1/trust-list", headers={"If-None-Match": etag})
    assert r2.status_code == 304
    assert r2.content == b""


async def test_trust_list_older_than_a_day_is_resigned_on_demand(api, clock):
    root = bytes(api.keys.root.verify_key)
    first = open_trust_list((await api.client.get("/api/v1/trust-list")).content, root)
    clock.advance(api.cfg.trust_list_refresh_s + 1)
    second = open_trust_list((await api.client.get("/api/v1/trust-list")).content, root)
    assert second.seq == first.seq + 1
    assert second.expires_at == second.issued_at + api.cfg.trust_list_validity_s
    assert second.max_token_age_s == api.cfg.max_token_age_s


async def test_health_openapi_and_unknown_routes_answer_json(api):
    assert (await api.client.get("/healthz")).json()["status"] == "ok"
    doc = (await api.client.get("/api/v1/openapi.json")).json()
    assert set(doc["paths"]) == {
        "/api/v1/trust-list",
        "/api/v1/wallet/activate",
        "/api/v1/wallet/credential",
        "/api/v1/wallet/receipts",
        "/api/v1/wallet/contribution",
        "/api/v1/merchant/enroll",
        "/api/v1/merchant/batches",
        "/api/v1/merchant/status",
        "/api/v1/wallet/proposals",
        "/api/v1/wallet/ballots",
        "/api/v1/shops",
        "/api/v1/decisions",
        "/api/v1/panels/{panel_id}",
    }
    r = await api.client.get("/api/v1/nope")
    assert r.status_code == 404 and r.json()["error"] == "NOT_FOUND"
    r = await api.client.get("/api/v1/wallet/activate")
    assert r.status_code == 405 and r.json()["error"] == "METHOD_NOT_ALLOWED"


async def test_an_unexpected_error_is_a_json_500_without_a_trace(api, monkeypatch):
    shop = await api.enroll()

    async def broken(**kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(api.ctx.intake, "receive", broken)
    # Starlette re-raises after answering (so the server logs it); the client sees only this:
    transport = httpx.ASGITransport(app=api.app, raise_app_exceptions=False)
    body = b'{"batch_id": "x", "scans": []}'
    header = sign_request(shop.key, "POST", BATCHES, body, api.now)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        r = await client.post(BATCHES, content=body, headers={"Authorization": header})
    assert r.status_code == 500
    assert r.json()["error"] == "INTERNAL"
    assert "secret detail" not in r.text and "Traceback" not in r.text


async def test_the_background_task_resigns_the_trust_list_without_any_request(
    tmp_path, backend, key_material, clock
):
    import asyncio

    from .conftest import Harness, make_caisse

    cfg = await make_caisse(
        tmp_path / "data", backend, key_material, int(clock()), trust_list_refresh_s=4
    )
    harness = await Harness(cfg, backend, key_material, clock).start()
    try:
        async with harness.ctx.storage.read() as q:
            first = (await q.latest_trust_list())["seq"]
        clock.advance(5)
        await asyncio.sleep(1.3)  # the task wakes every max(1 s, refresh / 4)
        async with harness.ctx.storage.read() as q:
            assert (await q.latest_trust_list())["seq"] == first + 1
    finally:
        await harness.stop()

"""Member lifecycle through HTTP: activation, credentials, month boundary, revocation."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nacl.signing import SigningKey

from keys import tokens
from keys.signed_request import b64url_decode, b64url_encode
from keys.trust_list import open_trust_list
from server.caisse import members

pytestmark = pytest.mark.anyio
BRUSSELS = ZoneInfo("Europe/Brussels")


def decode(b64: str) -> tokens.Credential:
    cred = tokens.decode_token(b64url_decode(b64))
    assert isinstance(cred, tokens.Credential)
    return cred


async def test_activation_returns_a_credential_for_this_month_bound_to_the_wallet_key(api):
    member = await api.add_member()
    pk = bytes(member.key.verify_key)
    r = await api.client.post(
        "/api/v1/wallet/activate", json={"code": member.code, "public_key": b64url_encode(pk)}
    )
    assert r.status_code == 200, r.text
    cred = decode(r.json()["credential"])
    assert cred.member_public_key == pk
    assert cred.sub.hex() == member.member_id
    assert cred.iss == "test-caisse"
    assert cred.allowance_cents == api.cfg.allowance_cents
    assert cred.nbf <= api.now < cred.exp
    assert 8 <= len(cred.cti) <= 16
    start = datetime.fromtimestamp(cred.nbf, BRUSSELS)
    assert (start.day, start.hour, start.minute) == (1, 0, 0)


async def test_an_activation_code_works_only_once(api):
    member = await api.activate()
    other = SigningKey.generate()
    r = await api.client.post(
        "/api/v1/wallet/activate",
        json={"code": member.code, "public_key": b64url_encode(bytes(other.verify_key))},
    )
    assert r.status_code == 400
    assert r.json()["error"] == "INVALID_CODE"


async def test_an_expired_activation_code_is_refused(api, clock):
    member = await api.add_member()
    clock.advance(api.cfg.code_ttl_s + 1)
    r = await api.client.post(
        "/api/v1/wallet/activate",
        json={"code": member.code, "public_key": b64url_encode(bytes(member.key.verify_key))},
    )
    assert r.status_code == 400
    assert r.json()["error"] == "INVALID_CODE"


async def test_codes_are_accepted_in_lower_case_without_dashes(api):
    member = await api.add_member()
    r = await api.client.post(
        "/api/v1/wallet/activate",
        json={
            "code": member.code.replace("-", "").lower(),
            "public_key": b64url_encode(bytes(member.key.verify_key)),
        },
    )
    assert r.status_code == 200


async def test_signed_credential_request_returns_the_same_credential_again(api):
    member = await api.activate()
    r = await api.signed("GET", "/api/v1/wallet/credential", member.key)
    assert r.status_code == 200, r.text
    creds = r.json()["credentials"]
    assert b64url_decode(creds[0]) == member.credential


async def test_next_months_credential_is_issued_in_the_last_days_of_a_month(api, clock):
    # 28 of a 30/31-day month at noon, Brussels time: within the last 5 days.
    now = datetime.fromtimestamp(api.now, BRUSSELS)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    clock.t = datetime(year, month, 28, 12, tzinfo=BRUSSELS).timestamp()
    member = await api.activate()
    r = await api.signed("GET", "/api/v1/wallet/credential", member.key)
    creds = [decode(c) for c in r.json()["credentials"]]
    assert len(creds) == 2
    assert creds[0].exp == creds[1].nbf
    assert creds[0].cti != creds[1].cti
    first_of_next = datetime.fromtimestamp(creds[1].nbf, BRUSSELS)
    assert (first_of_next.day, first_of_next.hour) == (1, 0)
    # Early in the month only the current one.
    clock.t = datetime(year, month, 10, 12, tzinfo=BRUSSELS).timestamp()
    r = await api.signed("GET", "/api/v1/wallet/credential", member.key)
    assert len(r.json()["credentials"]) == 1


async def test_revoked_member_is_listed_in_a_newer_trust_list_and_loses_api_access(api):
    member = await api.activate()
    before = open_trust_list(
        (await api.client.get("/api/v1/trust-list")).content, api.keys.root.verify_key.encode()
    )
    async with api.ctx.storage.transaction() as q:
        await members.revoke_member(q, api.cfg, api.keys.root, member.member_id, api.now)
    after = open_trust_list(
        (await api.client.get("/api/v1/trust-list")).content, api.keys.root.verify_key.encode()
    )
    assert after.seq > before.seq
    assert bytes.fromhex(member.member_id) in after.revoked_members
    r = await api.signed("GET", "/api/v1/wallet/credential", member.key)
    assert r.status_code == 403
    assert r.json()["error"] == "KEY_REVOKED"


async def test_reactivating_on_a_new_phone_revokes_the_old_credential(api):
    member = await api.activate()
    async with api.ctx.storage.transaction() as q:
        fresh = await members.new_activation_code(q, api.cfg, member.member_id, api.now)
    old_credential = tokens.decode_token(member.credential)
    member.code, member.key = fresh.activation_code, SigningKey.generate()
    await api.activate(member)
    tl = open_trust_list(
        (await api.client.get("/api/v1/trust-list")).content, api.keys.root.verify_key.encode()
    )
    assert old_credential.cti in tl.revoked_credentials
    assert tokens.decode_token(member.credential).member_public_key == bytes(member.key.verify_key)


async def test_a_public_key_cannot_be_enrolled_twice(api):
    first = await api.activate()
    second = await api.add_member()
    r = await api.client.post(
        "/api/v1/wallet/activate",
        json={"code": second.code, "public_key": b64url_encode(bytes(first.key.verify_key))},
    )
    assert r.status_code == 409
    # The code was not spent: it still works with a fresh key.
    await api.activate(second)

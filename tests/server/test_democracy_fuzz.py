"""Arbitrary JSON (and bytes) to the wallet's vote endpoints, signed by a real member:
a clear 4xx that stores nothing, or a ballot / a proposal stored whole."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.caisse import proposals
from server.config import RateLimit

from .conftest import Harness, make_caisse
from .test_fuzz_api import json_values

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def vote_api(tmp_path, backend, key_material, clock):
    runner = asyncio.Runner()

    async def start() -> tuple[Harness, Any, str]:
        cfg = await make_caisse(
            tmp_path / "data",
            backend,
            key_material,
            int(clock()),
            rate_limit=RateLimit(per_ip=10**6, global_=10**6),
        )
        harness = await Harness(cfg, backend, key_material, clock).start()
        member = await harness.activate()
        today = datetime.fromtimestamp(harness.now, BRUSSELS).date()
        async with harness.ctx.storage.transaction() as q:
            made = await proposals.add_proposal(
                q,
                cfg,
                kind="consultation",
                title="Quel jour ?",
                options=["Samedi", "Lundi"],
                opens=today.isoformat(),
                closes=(today + timedelta(days=2)).isoformat(),
                proposed_by="test",
                actor="test",
                now=harness.now,
            )
        return harness, member, made.proposal_id

    harness, member, pid = runner.run(start())
    try:
        yield runner, harness, member, pid
    finally:
        runner.run(harness.stop())
        runner.close()


async def rows(harness: Harness) -> tuple[int, int]:
    async with harness.ctx.storage.read() as q:
        ballots = await q.conn.fetchval("SELECT COUNT(*) FROM ballots")
        made = await q.conn.fetchval("SELECT COUNT(*) FROM proposals")
    return int(ballots), int(made)


@pytest.mark.parametrize("path", ["/api/v1/wallet/ballots", "/api/v1/wallet/proposals"])
def test_any_body_to_the_vote_endpoints_is_refused_clearly_or_stored_whole(vote_api, path):
    runner, harness, member, pid = vote_api
    ballot_bodies = st.fixed_dictionaries(
        {},
        optional={
            "proposal_id": json_values | st.sampled_from([pid, "p-00000000", pid.upper()]),
            "choice": json_values
            | st.sampled_from(["Samedi", "Lundi", "abstain", "yes", "x" * 300]),
            "on_behalf_of": json_values | st.sampled_from([member.member_id, "0" * 16]),
        },
    )
    proposal_bodies = st.fixed_dictionaries(
        {},
        optional={
            "kind": json_values | st.sampled_from(["consultation", "shop-approval", "shop-review"]),
            "title": json_values | st.text(max_size=300),
            "options": json_values | st.lists(st.text(max_size=20), max_size=4),
            "details": json_values
            | st.fixed_dictionaries(
                {},
                optional={
                    "shop_name": json_values,
                    "iban": json_values | st.just("BE71096123456769"),
                    "merchant_id": json_values,
                    "topic": json_values,
                    "period": json_values,
                },
            ),
        },
    )
    bodies = ballot_bodies if path.endswith("ballots") else proposal_bodies

    @settings(
        max_examples=50,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=bodies | json_values, raw=st.binary(max_size=64), as_json=st.booleans())
    def check(body: Any, raw: bytes, as_json: bool) -> None:
        data = json.dumps(body).encode() if as_json else raw
        before = runner.run(rows(harness))
        r = runner.run(harness.signed("POST", path, member.key, raw=data))
        after = runner.run(rows(harness))
        assert r.status_code < 500, r.text
        assert "Traceback" not in r.text
        if r.status_code == 200:  # a good ballot by chance: one per member, kept
            assert r.json()["proposal_id"] == pid and after[0] == 1
            return
        if r.status_code == 201:
            assert after == (before[0], before[1] + 1)
            return
        assert 400 <= r.status_code < 500 and set(r.json()) == {"error", "message"}
        assert after == before

    check()

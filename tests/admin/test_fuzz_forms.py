"""Arbitrary fields to every console form: a page (200/303) or a clear 4xx, never a 500.

The forms come from the route table, so a new form is fuzzed without a new test.
Field names are the ones the console reads plus random ones; values are any text,
huge text, control characters, or files.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.console.auth.accounts import add_user
from server.console.routes import PAGES

from .conftest import ADMIN, OPERATOR, Console, server_helpers

FIELDS = [
    "name",
    "email",
    "language",
    "iban",
    "bic",
    "csv",
    "file",
    "passphrase",
    "decision",
    "note",
    "next",
    "password",
    "password2",
    "role",
    "include_today",
    "key",
]
FORMS = [p for p in PAGES if p.method == "POST" and p.name not in ("logout", "login_post")]
texts = (
    st.text(max_size=40)
    | st.text(alphabet='\x00\x01\n\r,;"é€', max_size=20)
    | st.sampled_from(
        [
            "fr",
            "nl",
            "en",
            "confirmed",
            "admin",
            "operator",
            "operator@caisse.example",
            "a long enough password",
            "BE71 0961 2345 6769",
            "name\nAna\n",
            "x" * 3000,
        ]
    )
)


@pytest.fixture
def console(tmp_path, backend, key_material, clock):
    runner = asyncio.Runner()

    async def start() -> tuple[Any, Console, dict[str, str]]:
        cfg = await server_helpers.make_caisse(
            tmp_path / "data", backend, key_material, int(clock())
        )
        api = await server_helpers.Harness(cfg, backend, key_material, clock).start()
        for (email, password), role in ((ADMIN, "admin"), (OPERATOR, "operator")):
            await add_user(api.ctx.storage, email=email, password=password, role=role, now=api.now)
        ids = {
            "member_id": (await api.activate()).member_id,
            "merchant_id": (await api.enroll()).merchant_id,
            "finding_id": "f-1",
            "settlement_id": "1",
            "batch_id": "b",
            "email": OPERATOR[0],
        }
        c = Console(api)
        assert (await c.login(*ADMIN)).status_code == 303
        await c.get("/admin/")
        return api, c, ids

    api, c, ids = runner.run(start())
    try:
        yield runner, c, ids
    finally:
        runner.run(c.close())
        runner.run(api.stop())
        runner.close()


def test_any_form_input_gets_a_page_or_a_clear_4xx(console) -> None:
    runner, c, ids = console

    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        page=st.sampled_from(FORMS),
        fields=st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), texts, max_size=6),
        as_file=st.booleans(),
    )
    def check(page: Any, fields: dict[str, str], as_file: bool) -> None:
        path = "/admin" + page.path
        for name, value in ids.items():
            path = path.replace("{" + name + "}", value)
        files = (
            {"file": ("x.csv", fields.pop("file", "").encode(), "text/csv")} if as_file else None
        )
        r = runner.run(c.post(path, fields, files=files))
        assert r.status_code in (200, 303) or 400 <= r.status_code < 500, (page.name, r.text[:800])
        assert "Traceback" not in r.text
        if r.status_code >= 400:
            assert "text/html" in r.headers["content-type"]

    check()


def test_any_report_month_gets_the_report_or_a_clear_400(console) -> None:
    runner, c, _ = console

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        month=st.text(max_size=12)
        | st.from_regex(r"\A-?[0-9]{1,5}-[0-9]{1,3}\Z")
        | st.sampled_from(["2026-02", "2000-01", "9998-12", "0000-00"])
    )
    def check(month: str) -> None:
        r = runner.run(c.get("/admin/report", params={"month": month}))
        assert r.status_code in (200, 400), r.text[:800]
        assert "text/html" in r.headers["content-type"] and "Traceback" not in r.text

    check()

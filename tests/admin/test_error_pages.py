"""The console's one handler of domain errors: lookups raise NotFound, refusals raise
Conflict or Invalid, and ``guard`` renders each as the error page of its code's status."""

from __future__ import annotations

import logging

import httpx
import pytest

from server.caisse.issuing import IssuingError
from server.console.errors import STATUS
from server.console.views import report

pytestmark = pytest.mark.anyio


def test_the_console_table_gives_the_generic_refusals_their_status() -> None:
    assert (STATUS["NOT_FOUND"], STATUS["CONFLICT"], STATUS["INVALID"]) == (404, 409, 400)


async def test_each_lookup_answers_404_with_its_reason_in_the_visitors_page(admin) -> None:
    for path, reason in (
        ("/admin/members/zz", "There is no such member."),
        ("/admin/members/0000000000000000/payments", "There is no such member."),
        ("/admin/shops/NOPE", "There is no such shop."),
        ("/admin/shops/no-such-shop/payouts", "There is no such shop."),
        ("/admin/shops/no-such-shop/tills/revoke?key=abc", "There is no such shop."),
        ("/admin/batches/x/y", "There is no such batch."),
        ("/admin/findings/no-such-finding", "There is no such finding."),
        ("/admin/settlements/abc", "There is no such settlement."),
        ("/admin/settlements/999/sepa.xml", "The SEPA file cannot be made"),
        ("/admin/settlements/999/statements/x", "There is no such statement."),
        ("/admin/accounts/nobody@caisse.example/password", "There is no such account."),
    ):
        r = await admin.get(path)
        expected = 409 if "SEPA" in reason else 404
        assert r.status_code == expected and reason in r.text, path
        assert 'class="menu"' in r.text, path  # rendered for the logged-in visitor


async def test_a_domain_error_the_console_does_not_expect_is_a_logged_500_page(
    admin, monkeypatch, caplog
) -> None:
    async def broken(*args, **kwargs):
        raise IssuingError("secret detail")

    monkeypatch.setattr(report, "monthly_report", broken)
    transport = httpx.ASGITransport(app=admin.api.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", cookies=admin.client.cookies
    ) as client:
        with caplog.at_level(logging.ERROR, logger="ssa.admin"):
            r = await client.get("/admin/report")
    assert r.status_code == 500 and "secret detail" not in r.text
    assert any(rec.name == "ssa.admin" and rec.exc_info for rec in caplog.records)

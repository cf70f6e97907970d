"""One domain error type: the services' errors, their codes, and the API's one status table."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from server.api.errors import HANDLERS, STATUS
from server.caisse.issuing import IssuingError
from server.caisse.keyring import KeyRingError
from server.caisse.members import MemberError
from server.caisse.merchants import MerchantError
from server.caisse.setup import AdminError
from server.caisse.vouchers import VoucherError
from server.console.auth.accounts import AccountError
from server.errors import BadRequest, DomainError, NotFound, TooManyRequests
from server.ledger.findings import FindingError
from server.ledger.reconcile import ReconcileError
from server.ledger.reports import ReportError
from server.ledger.sepa import SepaError
from server.ledger.statements import StatementError

pytestmark = pytest.mark.anyio

SERVICE_ERRORS = {
    MemberError: "INVALID_MEMBER",
    MerchantError: "INVALID_MERCHANT",
    VoucherError: "INVALID_VOUCHER",
    IssuingError: "CANNOT_ISSUE",
    AdminError: "ADMIN_REFUSED",
    KeyRingError: "KEY_UNAVAILABLE",
    ReconcileError: "INVALID_RECONCILE",
    StatementError: "INVALID_STATEMENT",
    FindingError: "INVALID_FINDING",
    ReportError: "INVALID_MONTH",
    SepaError: "CANNOT_PAY",
    AccountError: "INVALID_ACCOUNT",
}


@pytest.mark.parametrize(
    "cls, code", SERVICE_ERRORS.items(), ids=lambda v: getattr(v, "__name__", v)
)
def test_each_service_error_is_a_domain_error_with_its_default_code(cls, code):
    exc = cls("why it cannot be done")
    assert isinstance(exc, DomainError)
    assert (exc.code, exc.error, exc.message, str(exc)) == (
        code,
        code,
        *["why it cannot be done"] * 2,
    )


def test_a_raise_may_name_a_more_precise_code():
    exc = MemberError("this public key is already enrolled", "KEY_IN_USE")
    assert exc.error == "KEY_IN_USE" and MemberError("x").error == "INVALID_MEMBER"
    assert NotFound("no such shop").code == "NOT_FOUND"


def _app(exc: Exception) -> httpx.AsyncClient:
    async def view(request):
        raise exc

    app = Starlette(routes=[Route("/", view)], exception_handlers=HANDLERS)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


@pytest.mark.parametrize(
    "exc, status, code",
    [
        (MemberError("revoked", "MEMBER_REVOKED"), 403, "MEMBER_REVOKED"),
        (MerchantError("taken", "KEY_IN_USE"), 409, "KEY_IN_USE"),
        (MerchantError("suspended", "MERCHANT_SUSPENDED"), 403, "MERCHANT_SUSPENDED"),
        (NotFound("no such thing"), 404, "NOT_FOUND"),
        (BadRequest("INVALID_JSON", "not JSON"), 400, "INVALID_JSON"),
        (
            TooManyRequests("RATE_LIMITED", "wait", headers={"Retry-After": "7"}),
            429,
            "RATE_LIMITED",
        ),
    ],
)
async def test_the_api_answers_a_domain_error_with_the_status_of_its_code(exc, status, code):
    async with _app(exc) as client:
        r = await client.get("/")
    assert (r.status_code, r.json()) == (status, {"error": code, "message": exc.message})
    if isinstance(exc, TooManyRequests):
        assert r.headers["retry-after"] == "7"


async def test_a_domain_error_the_table_does_not_list_is_a_server_fault():
    assert IssuingError.code not in STATUS
    async with _app(IssuingError("the caisse has no active issuer key")) as client:
        r = await client.get("/")
    assert r.status_code == 500 and r.json()["error"] == "INTERNAL"
    assert "issuer key" not in r.text

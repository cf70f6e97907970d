"""How the API answers an error: ``{"error", "message"}`` JSON with the status of its code.

``STATUS`` is the one table from a domain error's code to its HTTP status;
``ApiError`` (bad JSON, signature, rate limit) carries its own. Nothing an API
client sends can produce a stack trace in a response: unknown routes, wrong
methods, a domain error the table does not list and unexpected exceptions all
become JSON errors (the last two logged server-side, answered as a bare 500).
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.errors import ApiError, DomainError

log = logging.getLogger("ssa.errors")

# Domain error code → HTTP status. A code not listed is a server fault (500).
STATUS = {
    "INVALID": 400,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "INVALID_MEMBER": 400,
    "MEMBER_REVOKED": 403,
    "INVALID_MERCHANT": 400,
    "MERCHANT_SUSPENDED": 403,
    "KEY_IN_USE": 409,
    "BATCH_ID_REUSED": 409,
}

_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}


def error_response(status: int, error: str, message: str, headers: dict | None = None) -> Response:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)
    status = STATUS.get(exc.code)
    if status is None:
        raise exc  # a server fault: answered by ``internal_error``, logged, seen by the server
    return error_response(status, exc.code, exc.message)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))


async def internal_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
    return error_response(500, "INTERNAL", "internal error; the caisse has been told in its logs")


HANDLERS = {DomainError: domain_error, HTTPException: http_error, Exception: internal_error}

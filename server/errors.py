"""API errors: each carries its HTTP status; one handler renders ``{"error", "message"}``.

Nothing an API client sends can produce a stack trace in a response: unknown
routes, wrong methods and unexpected exceptions all become JSON errors (the
last one logged server-side, answered as a bare 500).
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger("ssa.errors")


class ApiError(Exception):
    status = 400

    def __init__(
        self,
        error: str,
        message: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        if status is not None:
            self.status = status
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class TooManyRequests(ApiError):
    status = 429


def error_response(status: int, error: str, message: str, headers: dict | None = None) -> Response:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error, exc.message, exc.headers)


_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))


async def internal_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
    return error_response(500, "INTERNAL", "internal error; the caisse has been told in its logs")


HANDLERS = {ApiError: api_error, HTTPException: http_error, Exception: internal_error}

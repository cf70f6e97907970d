"""Errors of the caisse: one ``DomainError`` type with a stable ``code`` and a ``message``.

Services (``server.caisse``, ``server.ledger``, the console's accounts) raise
``DomainError`` subclasses and know nothing of HTTP. Each web front maps codes
to statuses in ONE table: the API in ``server.api.errors`` (JSON
``{"error": code, "message": message}``), the console in
``server.console.errors`` (an HTML error page). ``NotFound``, ``Conflict`` and
``Invalid`` are the generic refusals; ``ApiError`` and its subclasses are the
API's own HTTP answers (bad JSON, a bad signature, a rate limit) and carry
their status, as in Datasette.

This module is at the bottom of the server's layers: any module may import it.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the caisse says no: ``code`` for programs, ``message`` for people.

    Subclasses set a default ``code``; a raise may give a more precise one
    (``MemberError("...", "KEY_IN_USE")``).
    """

    code = "INVALID"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    @property
    def error(self) -> str:
        """The code, under the name the API's JSON gives it."""
        return self.code


class NotFound(DomainError):
    """No such thing (member, shop, settlement, ...)."""

    code = "NOT_FOUND"


class Conflict(DomainError):
    """The thing exists but its state does not allow this (already revoked, suspended)."""

    code = "CONFLICT"


class Invalid(DomainError):
    """The input cannot be accepted as it is."""

    code = "INVALID"


class ApiError(DomainError):
    """An HTTP answer of the API itself; it carries its status (and headers, e.g. Retry-After)."""

    status = 400

    def __init__(
        self,
        error: str,
        message: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, error)
        if status is not None:
            self.status = status
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class PayloadTooLarge(ApiError):
    status = 413


class TooManyRequests(ApiError):
    status = 429

"""Shared by the code-redeeming endpoints: body parsing and the guessing limit."""

from __future__ import annotations

from typing import NoReturn

from starlette.requests import Request

from server.caisse import codes
from server.context import AppContext, client_ip
from server.errors import BadRequest
from server.validation import json_object, public_key, read_body, string


async def code_request(request: Request, c: AppContext) -> tuple[bytes, bytes]:
    """(code hash, public key) of an activation or enrolment request.

    The attempt is counted before the code is even looked at (a valid code gives
    it back: ``code_accepted``); a code that cannot be a code is a failed guess
    like a wrong one.
    """
    await c.limiter.reserve(client_ip(request))
    obj = json_object(await read_body(request, c.config.max_body_bytes))
    code = string(obj, "code", max_len=codes.MAX_INPUT)
    key = public_key(obj)
    digest = codes.code_hash(code)  # type: ignore[arg-type]
    if digest is None:
        invalid_code()
    return digest, key


async def code_accepted(request: Request, c: AppContext) -> None:
    await c.limiter.succeeded(client_ip(request))


def invalid_code() -> NoReturn:
    raise BadRequest("INVALID_CODE", "this code is unknown, already used or expired")

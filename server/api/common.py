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

    The rate limit is checked before the code is even looked at; a code that
    cannot be a code counts as a failed guess like a wrong one.
    """
    client = client_ip(request)
    await c.limiter.check(client)
    obj = json_object(await read_body(request, c.config.max_body_bytes))
    code = string(obj, "code", max_len=codes.MAX_INPUT)
    key = public_key(obj)
    digest = codes.code_hash(code)  # type: ignore[arg-type]
    if digest is None:
        await invalid_code(request, c)
    return digest, key


async def invalid_code(request: Request, c: AppContext) -> NoReturn:
    await c.limiter.failed(client_ip(request))
    raise BadRequest("INVALID_CODE", "this code is unknown, already used or expired")

"""Request bodies: bounded reading, strict JSON, typed fields with clear 4xx messages."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import ClientDisconnect, Request

from keys.signed_request import b64url_decode
from server.errors import BadRequest, PayloadTooLarge


async def read_body(
    request: Request,
    limit: int,
    *,
    check_first: tuple[int, Callable[[], Awaitable[object]]] | None = None,
) -> bytes:
    """The raw body, refused with 413 as soon as it exceeds ``limit`` bytes.

    With ``check_first = (small, check)``, ``check()`` runs — and may refuse the
    request — before more than ``small`` bytes are read (declared or streamed): an
    unknown caller makes the server read no more than the normal API limit.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge("PAYLOAD_TOO_LARGE", f"request body is over {limit} bytes")
    small, check = check_first if check_first is not None else (limit, None)
    if check is not None and declared is not None and declared.isdigit() and int(declared) > small:
        await check()
        check = None
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge("PAYLOAD_TOO_LARGE", f"request body is over {limit} bytes")
            if check is not None and size > small:
                await check()
                check = None
            chunks.append(chunk)
    except ClientDisconnect:
        raise BadRequest("INVALID_REQUEST", "client disconnected") from None
    return b"".join(chunks)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("a key appears twice in one JSON object")
    return out


def json_object(body: bytes) -> dict[str, Any]:
    """Parse a JSON object (no NaN/Infinity, no key twice in an object, no absurd
    nesting) or raise 400: a body two parsers could read two ways is refused."""
    try:
        value = json.loads(body, parse_constant=_no_constants, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise BadRequest("INVALID_JSON", "request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise BadRequest("INVALID_REQUEST", "request body must be a JSON object")
    return value


def string(
    obj: dict[str, Any],
    name: str,
    *,
    max_len: int,
    pattern: re.Pattern | None = None,
    required: bool = True,
) -> str | None:
    value = obj.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadRequest("INVALID_REQUEST", f"'{name}' must be a string")
    if not value or len(value) > max_len:
        raise BadRequest("INVALID_REQUEST", f"'{name}' must be 1 to {max_len} characters")
    if pattern is not None and not pattern.fullmatch(value):
        raise BadRequest("INVALID_REQUEST", f"'{name}' has an invalid format")
    return value


def integer(obj: dict[str, Any], name: str, *, lo: int, hi: int) -> int:
    value = obj.get(name)
    if type(value) is not int or not lo <= value <= hi:
        raise BadRequest("INVALID_REQUEST", f"'{name}' must be an integer in [{lo}, {hi}]")
    return value


def public_key(obj: dict[str, Any], name: str = "public_key") -> bytes:
    value = obj.get(name)
    try:
        raw = b64url_decode(value) if isinstance(value, str) and len(value) < 100 else b""
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise BadRequest("INVALID_REQUEST", f"'{name}' must be a 32-byte Ed25519 key, base64url")
    return raw

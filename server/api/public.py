"""Endpoints anyone may call: the trust list, health, the OpenAPI document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.api.openapi import openapi_document
from server.context import ctx
from server.errors import ApiError

COSE_TYPE = "application/cose"


async def trust_list(request: Request) -> Response:
    """The current signed list; ``If-None-Match`` with its ETag answers 304."""
    c = ctx(request)
    current = await c.trust_lists.current(c.now())
    if current is None:
        raise ApiError("NO_TRUST_LIST", "the caisse has not published a trust list", status=503)
    headers = {"ETag": current.etag, "Cache-Control": "no-cache"}
    wanted = request.headers.get("if-none-match", "")
    if current.etag in [tag.strip().removeprefix("W/") for tag in wanted.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(current.body, media_type=COSE_TYPE, headers=headers)


async def healthz(request: Request) -> Response:
    c = ctx(request)
    try:
        async with c.storage.read() as q:
            await q.ping()
    except Exception:  # the reason is in the server log, not for the prober
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "caisse": c.config.caisse})


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document(ctx(request).config.base_url))

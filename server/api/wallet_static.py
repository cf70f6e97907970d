"""Serving the wallet PWA at /wallet/ with the headers a money app needs.

A strict Content-Security-Policy (own origin only, no inline script, no
framing), no referrer, no MIME sniffing; every file revalidated (``no-cache``)
so a new service worker and app shell reach phones promptly. Only the files the
wallet ships are served: its build tools are not.
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

WALLET_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
WALLET_HEADERS = {
    "Content-Security-Policy": WALLET_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
NOT_SERVED_DIRS = {"tools"}


class WalletFiles(StaticFiles):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=True)

    async def get_response(self, path: str, scope: Scope) -> Response:
        parts = Path(path).parts
        if parts and (parts[0] in NOT_SERVED_DIRS or any(p.startswith(".") for p in parts)):
            raise HTTPException(status_code=404)
        response = await super().get_response(path, scope)
        response.headers.update(WALLET_HEADERS)
        return response

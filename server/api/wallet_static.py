"""Serving the PWAs — the wallet at /wallet/, the till at /till/ — and the shared SSA1 core
they load at /keys/js/, with the headers a money app needs.

A strict Content-Security-Policy (own origin only, no inline script, no framing), no
referrer, no MIME sniffing; every file revalidated (``no-cache``) so a new service worker
and app shell reach phones promptly. The till's policy adds ``'wasm-unsafe-eval'`` (its QR
decoder is WebAssembly, served from /till/vendor/) and allows the camera for itself only.
Only the files the apps ship are served: their build tools are not, nor dotfiles, and from
``keys/`` only the JavaScript core (never the Python beside it).
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

_POLICY = (
    "default-src 'self'; script-src 'self'{wasm}; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; media-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
WALLET_CSP = _POLICY.format(wasm="")
TILL_CSP = _POLICY.format(wasm=" 'wasm-unsafe-eval'")
_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
WALLET_HEADERS = {"Content-Security-Policy": WALLET_CSP, **_COMMON}
TILL_HEADERS = {
    "Content-Security-Policy": TILL_CSP,
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    **_COMMON,
}
NOT_SERVED_DIRS = {"tools"}


class AppFiles(StaticFiles):
    """A PWA's directory, without its tools and dotfiles, every answer with ``headers``."""

    def __init__(self, directory: Path, headers: dict[str, str], *, suffixes: tuple = ()) -> None:
        super().__init__(directory=directory, html=True)
        self.extra_headers = headers
        self.suffixes = suffixes  # when given, only files with these endings are served

    async def get_response(self, path: str, scope: Scope) -> Response:
        parts = Path(path).parts
        if parts and (parts[0] in NOT_SERVED_DIRS or any(p.startswith(".") for p in parts)):
            raise HTTPException(status_code=404)
        if self.suffixes and not path.endswith(self.suffixes):
            raise HTTPException(status_code=404)
        response = await super().get_response(path, scope)
        response.headers.update(self.extra_headers)
        return response


class WalletFiles(AppFiles):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory, WALLET_HEADERS)


class TillFiles(AppFiles):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory, TILL_HEADERS)


class CoreFiles(AppFiles):
    """keys/js/: the SSA1 core's modules and their vendored library, nothing else."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, WALLET_HEADERS, suffixes=(".js", ".txt"))

"""A stand-in for the caisse server, just enough for the wallet: it serves wallet_pwa/ at
/wallet/ with the headers the real server must send, and answers the wallet endpoints
(SPEC §8, and the receipts of docs/api.md) with real credentials signed by a real issuer
key (keys/); ``receipts`` holds what the receipts endpoint tells each member key.

Why a fake: the wallet's tests must not wait for server/; the lead will point the
journey at the real server once it exists. Its clock can be shifted (``shift_s``, also
in the Date header) to play a new month, and ``offline`` makes it refuse everything,
like a cut network. ``members`` and ``revoked`` play a member re-enrolled elsewhere or
revoked, and ``wallet_dir`` serves another copy of the wallet (a new version).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

import uvicorn
from nacl.signing import SigningKey
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from keys import ed25519, tokens
from keys.signed_request import (
    SignedRequestError,
    b64url_decode,
    b64url_encode,
    parse_authorization,
    verify_request,
)
from keys.trust_list import Issuer, TrustList
from tests.conftest import now_s

WALLET_DIR = Path(__file__).resolve().parents[2] / "wallet_pwa"
CAISSE = "be-bxl-test"

# The headers the real server must send with the wallet's static files (docs/wallet.md).
WALLET_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
MEDIA_TYPES = {".js": "text/javascript", ".webmanifest": "application/manifest+json"}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


@dataclass
class FakeCaisse:
    issuer_key: SigningKey = field(default_factory=SigningKey.generate)
    allowance_cents: int = 15050
    codes: dict[str, bytes] = field(default_factory=dict)  # code -> member pseudonym
    members: dict[bytes, bytes] = field(default_factory=dict)  # public key -> pseudonym
    members_credentials: dict[bytes, list[bytes]] = field(default_factory=dict)
    receipts: dict[bytes, list[dict]] = field(default_factory=dict)  # key -> GET receipts items
    send_date: bool = True
    shift_s: int = 0
    offline: bool = False
    revoked: set[bytes] = field(default_factory=set)  # member keys the caisse revoked
    wallet_dir: Path = WALLET_DIR  # a modified copy plays a new version of the wallet
    core_dir: Path | None = None  # the SSA1 core served at /keys/js/ (default: beside wallet_dir)
    base_url: str = ""

    def now(self) -> int:
        return now_s() + self.shift_s

    def new_code(self) -> str:
        code = secrets.token_urlsafe(12)
        self.codes[code] = secrets.token_bytes(8)
        return code

    def activation_url(self, code: str) -> str:
        return f"{self.base_url}/wallet/#activate={code}"

    def credential(
        self, member_key: bytes, *, nbf: int, exp: int, allowance: int | None = None
    ) -> bytes:
        return tokens.encode_credential(
            iss=CAISSE,
            sub=self.members[member_key],
            cti=secrets.token_bytes(8),
            nbf=nbf,
            exp=exp,
            allowance_cents=self.allowance_cents if allowance is None else allowance,
            member_public_key=member_key,
            issuer_key=self.issuer_key,
        )

    def trust_list(self) -> TrustList:
        pk = ed25519.public_key_of(self.issuer_key)
        issuer = Issuer(CAISSE, ed25519.key_id(pk), pk, 0, 2**32)
        return TrustList(seq=1, issued_at=0, expires_at=2**32, issuers=(issuer,))

    # -- endpoints --------------------------------------------------------------

    async def activate(self, request: Request) -> Response:
        try:
            body = await request.json()
            code, public_key = str(body["code"]), b64url_decode(body["public_key"])
        except Exception:
            return _error(400, "BAD_REQUEST", "expected {code, public_key}")
        if len(public_key) != 32:
            return _error(400, "BAD_REQUEST", "public_key must be 32 bytes")
        sub = self.codes.pop(code, None)
        if sub is None:
            return _error(404, "CODE_INVALID", "unknown or spent activation code")
        self.members[public_key] = sub
        now = self.now()
        cred = self.credential(public_key, nbf=now - 86400, exp=now + 3600)
        self.members_credentials.setdefault(public_key, []).append(cred)
        return JSONResponse({"credential": b64url_encode(cred)})

    async def credentials(self, request: Request) -> Response:
        key = await self._member(request)
        if isinstance(key, Response):
            return key
        creds = self.members_credentials.get(key, [])
        return JSONResponse({"credentials": [b64url_encode(c) for c in creds]})

    async def receipts_of(self, request: Request) -> Response:
        key = await self._member(request)
        if isinstance(key, Response):
            return key
        return JSONResponse({"receipts": self.receipts.get(key, []), "max_token_age_s": 600})

    async def _member(self, request: Request) -> bytes | Response:
        """The signing member's key, or the error answer (as server/api/auth.py)."""
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        try:
            signed = parse_authorization(request.headers.get("authorization"))
            verify_request(
                signed, method="GET", path=path, body=await request.body(), now=self.now()
            )
        except SignedRequestError as exc:
            return _error(401, "BAD_SIGNATURE", str(exc))
        # as server/auth.py: an unknown key is 401, a revoked member 403
        if signed.public_key not in self.members:
            return _error(401, "UNKNOWN_KEY", "this key is not enrolled with the caisse")
        if signed.public_key in self.revoked:
            return _error(403, "KEY_REVOKED", "this member's access has been revoked")
        return signed.public_key

    async def headers(self, request: Request, call_next) -> Response:
        """The wallet's static headers, the shifted Date, and the "network cut" switch."""
        if self.offline:
            return Response(status_code=503)
        response = await call_next(request)
        if self.send_date:
            response.headers["Date"] = formatdate(self.now(), usegmt=True)
        path = request.url.path
        if path.startswith(("/wallet", "/keys/js")):
            response.headers["Content-Security-Policy"] = WALLET_CSP
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Cache-Control"] = "no-cache"
            for suffix, media in MEDIA_TYPES.items():
                if path.endswith(suffix):
                    response.headers["Content-Type"] = media
        return response

    def default_core(self) -> Path:
        return self.wallet_dir.parent / "keys" / "js"

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/v1/wallet/activate", self.activate, methods=["POST"]),
                Route("/api/v1/wallet/credential", self.credentials, methods=["GET"]),
                Route("/api/v1/wallet/receipts", self.receipts_of, methods=["GET"]),
                Mount("/wallet", StaticFiles(directory=self.wallet_dir, html=True)),
                Mount("/keys/js", StaticFiles(directory=self.core_dir or self.default_core())),
            ],
            middleware=[Middleware(BaseHTTPMiddleware, dispatch=self.headers)],
        )


class RunningCaisse:
    """Serve a FakeCaisse with uvicorn on 127.0.0.1 in a thread."""

    def __init__(self, caisse: FakeCaisse) -> None:
        config = uvicorn.Config(
            caisse.app(), host="127.0.0.1", port=0, log_level="warning", date_header=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.caisse = caisse

    def __enter__(self) -> FakeCaisse:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the fake caisse did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.caisse.base_url = f"http://127.0.0.1:{port}"
        return self.caisse

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

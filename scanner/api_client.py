"""The scanner's side of the HTTP API v1 (SPEC §8): enrol, fetch the trust list, upload batches."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx
from nacl.signing import SigningKey

from keys.signed_request import b64url_decode, b64url_encode, sign_request

TIMEOUT = httpx.Timeout(20.0, connect=5.0)


class ServerError(Exception):
    """The server refused a request (4xx/5xx) or answered something unusable."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code  # the API's error code, e.g. KEY_REVOKED


class ServerUnreachable(ServerError):
    """No answer from the server (offline, DNS, timeout): try again later."""


# What the caisse answers a till that may no longer accept payments (docs/api.md).
REFUSING_CODES = frozenset(
    {"KEY_REVOKED", "MERCHANT_SUSPENDED", "MERCHANT_WITHDRAWN", "UNKNOWN_KEY"}
)


class TillRefused(ServerError):
    """The caisse refuses this till: its key is revoked or unknown, or its shop suspended."""


@dataclass(frozen=True, slots=True)
class Enrollment:
    merchant_id: str
    root_public_key: bytes
    trust_list: bytes
    scope: str | None = None


class ApiClient:
    """A small client; ``transport`` lets tests talk to the ASGI app in-process."""

    def __init__(self, base_url: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=TIMEOUT, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self._http.send(request)
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"server unreachable: {exc}") from None
        if response.status_code >= 400 and response.status_code != 304:
            code = ""
            try:
                error = response.json()
                code = str(error["error"])
                detail = f"{code}: {error['message']}"
            except (ValueError, KeyError, TypeError):
                detail = response.text[:200]
            refused = response.status_code in (401, 403) and code in REFUSING_CODES
            raise (TillRefused if refused else ServerError)(
                f"server answered {response.status_code} ({detail})",
                status=response.status_code,
                code=code,
            )
        return response

    def _json(self, response: httpx.Response) -> dict:
        try:
            document = response.json()
        except ValueError:
            raise ServerError("server answered something that is not JSON") from None
        if not isinstance(document, dict):
            raise ServerError("server answered a JSON value that is not an object")
        return document

    def enroll(self, code: str, public_key: bytes) -> Enrollment:
        body = {"code": code, "public_key": b64url_encode(public_key)}
        document = self._json(
            self._send(self._http.build_request("POST", "/api/v1/merchant/enroll", json=body))
        )
        try:
            return Enrollment(
                merchant_id=str(document["merchant_id"]),
                root_public_key=b64url_decode(document["root_public_key"]),
                trust_list=b64url_decode(document["trust_list"]),
                scope=document["scope"] if isinstance(document.get("scope"), str) else None,
            )
        except (KeyError, ValueError) as exc:
            raise ServerError(f"unusable enrolment answer: {exc}") from None

    def trust_list(self, etag: str | None = None) -> tuple[bytes | None, str | None]:
        """(list bytes, ETag), or (None, etag) when the server says it has not changed."""
        headers = {"If-None-Match": etag} if etag else {}
        response = self._send(
            self._http.build_request("GET", "/api/v1/trust-list", headers=headers)
        )
        if response.status_code == 304:
            return None, etag
        return response.content, response.headers.get("ETag")

    def upload_batch(
        self, key: SigningKey, batch_id: str, scans: list[dict], now: int | None = None
    ) -> dict:
        path = "/api/v1/merchant/batches"
        body = json.dumps({"batch_id": batch_id, "scans": scans}).encode()
        ts = int(time.time()) if now is None else now
        headers = {
            "Content-Type": "application/json",
            "Authorization": sign_request(key, "POST", path, body, ts),
        }
        answer = self._json(
            self._send(self._http.build_request("POST", path, content=body, headers=headers))
        )
        if answer.get("batch_id") != batch_id:
            raise ServerError(
                f"server answered for batch {answer.get('batch_id')!r}, not {batch_id!r}"
            )
        return answer

    def till_status(self, key: SigningKey, now: int | None = None) -> dict | None:
        """``GET /api/v1/merchant/status``, signed: where this till stands with the caisse.

        None from a server older than that endpoint (404); TillRefused when revoked.
        """
        path = "/api/v1/merchant/status"
        ts = int(time.time()) if now is None else now
        headers = {"Authorization": sign_request(key, "GET", path, b"", ts)}
        try:
            response = self._send(self._http.build_request("GET", path, headers=headers))
        except TillRefused:
            raise
        except ServerError as exc:
            if exc.status == 404:
                return None
            raise
        return self._json(response)

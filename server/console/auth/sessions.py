"""Console sessions: a signed cookie naming a server-side session row.

The cookie holds a random session id signed with itsdangerous (secret in
``DIR/admin_session.key``, made once, mode 0600) and time-stamped, so a
forged or too old cookie is refused before the database is asked. The row
(stored by its SHA-256) holds the account, the CSRF token and the times: a
session ends after ``IDLE_S`` without a request, ``ABSOLUTE_S`` after login,
at logout, and when the account's password changes or it is disabled.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from server.storage.core import Storage

SECRET_FILE = "admin_session.key"
SESSION_COOKIE = "ssa_admin_session"
LOGIN_COOKIE = "ssa_admin_login"
COOKIE_PATH = "/admin"
IDLE_S = 3600
ABSOLUTE_S = 12 * 3600
LOGIN_FORM_S = 2 * 3600
TOUCH_EVERY_S = 60

ADMIN, OPERATOR = "admin", "operator"
TREASURER = "treasurer"  # an administrator who may also read declared incomes (audited)
ROLES = (OPERATOR, ADMIN, TREASURER)


def load_secret(data_dir: Path) -> bytes:
    """The signing secret, created on first use with mode 0600 (never rotated silently)."""
    path = data_dir / SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = path.read_text().strip()
        if len(text) < 64:
            raise RuntimeError(f"{path} is damaged; delete it to log everybody out") from None
        return bytes.fromhex(text)
    secret = secrets.token_bytes(32)
    with os.fdopen(fd, "w") as f:
        f.write(secret.hex() + "\n")
    return secret


@dataclass(frozen=True, slots=True)
class User:
    email: str
    role: str
    csrf_token: str
    sid_hash: bytes

    @property
    def is_admin(self) -> bool:
        return self.role in (ADMIN, TREASURER)

    @property
    def is_treasurer(self) -> bool:
        return self.role == TREASURER

    def may(self, role: str) -> bool:
        if role == TREASURER:
            return self.is_treasurer
        return self.is_admin or role == OPERATOR


def _sid_hash(sid: str) -> bytes:
    return hashlib.sha256(b"ssa-admin-session:" + sid.encode()).digest()


class Sessions:
    def __init__(self, storage: Storage, secret: bytes) -> None:
        self.storage = storage
        self._cookie = URLSafeTimedSerializer(secret, salt="ssa-admin-session")
        self._login = URLSafeTimedSerializer(secret, salt="ssa-admin-login-form")

    async def start(self, email: str, now: int) -> str:
        """A new session (new id: no fixation); the cookie value to set."""
        sid = secrets.token_urlsafe(32)
        async with self.storage.transaction() as q:
            await q.console.insert_admin_session(
                _sid_hash(sid), email, secrets.token_urlsafe(32), now, now + ABSOLUTE_S
            )
        return self._cookie.dumps(sid)

    async def user(self, cookie: str | None, now: int) -> User | None:
        """The logged-in account of this cookie, or None (missing, forged, expired, ended)."""
        if not cookie or len(cookie) > 512:
            return None
        try:
            sid = self._cookie.loads(cookie, max_age=ABSOLUTE_S)
        except BadSignature:
            return None
        if not isinstance(sid, str):
            return None
        sid_hash = _sid_hash(sid)
        async with self.storage.read() as q:
            row = await q.console.admin_session(sid_hash)
        if row is None:
            return None
        if now >= row["expires_at"] or now - row["seen_at"] >= IDLE_S:
            await self.end(sid_hash)
            return None
        if now - row["seen_at"] >= TOUCH_EVERY_S:
            async with self.storage.transaction() as q:
                await q.console.touch_admin_session(sid_hash, now)
        return User(row["email"], row["role"], row["csrf_token"], sid_hash)

    async def end(self, sid_hash: bytes) -> None:
        async with self.storage.transaction() as q:
            await q.console.delete_admin_session(sid_hash)

    # -- the login form's CSRF token (double submit: signed cookie = hidden field) ------

    def new_login_token(self) -> tuple[str, str]:
        """(form token, cookie value)."""
        token = secrets.token_urlsafe(24)
        return token, self._login.dumps(token)

    def login_token_ok(self, cookie: str | None, submitted: str | None) -> bool:
        if not cookie or not submitted or len(cookie) > 512:
            return False
        try:
            expected = self._login.loads(cookie, max_age=LOGIN_FORM_S)
        except BadSignature:
            return False
        return isinstance(expected, str) and secrets.compare_digest(expected, submitted)

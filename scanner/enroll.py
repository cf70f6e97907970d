"""`ssa-scanner enroll`: make this till a shop's scanner, once, with the caisse's code.

The code comes typed (``--code``), or from the enrolment QR of the caisse's letter: its text
is the browser till's link, ``https://caisse.example/till/#enrol=CODE``, which names the
server too — read from a photo or scan of the letter (``--qr IMAGE``) or pasted as
``--code`` (what a 2D keyboard-wedge reader types).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from keys import ed25519, keystore
from keys.trust_list import TrustListInvalid

from .api_client import ApiClient
from .store import NotEnrolled, ScannerConfig, ScannerStore


class EnrollError(Exception):
    """Enrolment cannot go on; the message says what to do."""


def read_enrollment(text: str, server_url: str | None) -> tuple[str, str]:
    """(server URL, code) from a code or an enrolment link, checked against ``--server``."""
    text = text.strip()
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc:
        code = parse_qs(parts.fragment).get("enrol", [""])[0]
        if not code:
            raise EnrollError(f"{text[:80]!r} is a link, but not an enrolment link (#enrol=CODE)")
        linked = f"{parts.scheme}://{parts.netloc}"
        if server_url is not None and server_url.rstrip("/") != linked:
            raise EnrollError(f"this enrolment QR is for {linked}, not {server_url}")
        return linked, code
    if server_url is None:
        raise EnrollError("name the caisse's server (--server URL), or give its enrolment QR")
    return server_url, text


def read_enrollment_qr(image_path: str) -> str:
    """The text of the enrolment QR in a photo or scan of the caisse's letter."""
    from .decode import ImageUnreadable, decode_file

    try:
        texts = decode_file(image_path)
    except ImageUnreadable as exc:
        raise EnrollError(str(exc)) from None
    links = [t for t in texts if "#enrol=" in t] or texts
    if not links:
        raise EnrollError(f"no QR code found in {image_path}: photograph it closer, flat, lit")
    return links[0]


def enroll(
    store: ScannerStore,
    client: ApiClient,
    *,
    server_url: str,
    code: str,
    passphrase: str,
    expected_root_key: bytes | None = None,
    kdf_profile: str = "sensitive",
) -> ScannerConfig:
    """Generate (or reuse) the merchant key, spend the code, pin the root, install the list.

    The key is written before the code is spent, so a lost answer never leaves a
    spent code with no key; running enroll again reuses that key.
    """
    store.ensure_dir()
    try:
        store.config()
    except NotEnrolled:
        pass
    else:
        raise EnrollError(f"{store.dir} is already enrolled; use another --data directory")
    if store.key_path.exists():
        key = keystore.load_signing_key(store.key_path, passphrase)
    else:
        key, _ = keystore.generate_key_file(
            store.key_path, passphrase, label="merchant", profile=kdf_profile
        )
    public_key = ed25519.public_key_of(key)
    enrollment = client.enroll(code, public_key)
    if expected_root_key is not None and enrollment.root_public_key != expected_root_key:
        raise EnrollError("the server's root key is not the one you were given: enrolment stopped")
    try:
        store.install_trust_list(enrollment.trust_list, enrollment.root_public_key)
    except TrustListInvalid as exc:
        raise EnrollError(f"the server's trust list does not verify: {exc}") from None
    config = ScannerConfig(
        server_url=server_url,
        merchant_id=enrollment.merchant_id,
        root_public_key=enrollment.root_public_key.hex(),
        merchant_public_key=public_key.hex(),
        scope=enrollment.scope,
    )
    store.save_config(config)
    return config

"""`ssa-scanner enroll`: make this till a shop's scanner, once, with the caisse's code."""

from __future__ import annotations

from keys import ed25519, keystore
from keys.trust_list import TrustListInvalid

from .api_client import ApiClient
from .store import NotEnrolled, ScannerConfig, ScannerStore


class EnrollError(Exception):
    """Enrolment cannot go on; the message says what to do."""


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

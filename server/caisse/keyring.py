"""The caisse's private keys: a root key (signs trust lists only) and issuer keys.

Key files live in ``DIR/keys/`` encrypted by ``keys.keystore``; which issuer key
is active is recorded in the database (``issuer_keys``). The server keeps the
passphrase in memory only to open a newer issuer key after ``keys rotate``
(it never logs it, and its ``repr`` hides it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nacl.signing import SigningKey

from keys import ed25519, keystore
from server.config import Config
from server.errors import DomainError

ROOT_FILE = "root.key"


class KeyRingError(DomainError):
    """A key is missing, locked or does not match the database."""

    code = "KEY_UNAVAILABLE"


def root_path(config: Config) -> Path:
    return config.keys_dir / ROOT_FILE


def issuer_file(kid: bytes) -> str:
    return f"issuer-{kid.hex()}.key"


def create_root_key(config: Config, passphrase: str) -> tuple[SigningKey, bytes]:
    config.keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key, info = keystore.generate_key_file(
        root_path(config), passphrase, label=f"{config.caisse} root", profile=config.kdf_profile
    )
    return key, info.public_key


def create_issuer_key(config: Config, passphrase: str) -> tuple[SigningKey, bytes, str]:
    """A new issuer key file; (key, kid, file name)."""
    config.keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = SigningKey.generate()
    kid = ed25519.key_id(ed25519.public_key_of(key))
    name = issuer_file(kid)
    keystore.write_key_file(
        config.keys_dir / name,
        key,
        passphrase,
        label=f"{config.caisse} issuer {kid.hex()}",
        profile=config.kdf_profile,
    )
    return key, kid, name


def root_public_key(config: Config) -> bytes:
    return keystore.read_public_key(root_path(config)).public_key


def load_root_key(config: Config, passphrase: str) -> SigningKey:
    return keystore.load_signing_key(root_path(config), passphrase)


@dataclass(slots=True)
class KeyRing:
    """Keys the running server signs with; ``issuer_for(kid)`` follows rotations."""

    config: Config
    root: SigningKey
    issuers: dict[bytes, SigningKey] = field(default_factory=dict)
    _passphrase: str | None = field(default=None, repr=False)

    @property
    def root_public_key(self) -> bytes:
        return ed25519.public_key_of(self.root)

    def issuer_for(self, kid: bytes, file: str) -> SigningKey:
        """The issuer key ``kid``, opened from ``file`` the first time it is needed."""
        key = self.issuers.get(kid)
        if key is not None:
            return key
        if self._passphrase is None:
            raise KeyRingError(f"issuer key {kid.hex()} is not loaded; restart the server")
        key = keystore.load_signing_key(self.config.keys_dir / file, self._passphrase)
        if ed25519.key_id(ed25519.public_key_of(key)) != kid:
            raise KeyRingError(f"key file {file} does not hold issuer key {kid.hex()}")
        self.issuers[kid] = key
        return key


def open_keyring(config: Config, passphrase: str, *, keep_passphrase: bool = True) -> KeyRing:
    """Open the root key now (fails early on a wrong passphrase); issuers on demand."""
    try:
        root = load_root_key(config, passphrase)
    except keystore.KeyFileError as exc:
        raise KeyRingError(str(exc)) from None
    return KeyRing(config, root, {}, passphrase if keep_passphrase else None)

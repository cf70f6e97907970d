"""Private key files: Ed25519 seeds encrypted at rest with argon2id + SecretBox.

A key file is JSON (public half readable, private half sealed), written with
mode 0600 atomically. A wrong passphrase or a file readable by others is a
clear ``KeyFileError``, never a traceback. Nothing here logs key material.
"""

from __future__ import annotations

import getpass
import json
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.signing import SigningKey

from . import ed25519
from .b64url import b64url_decode, b64url_encode

FORMAT = "ssa-ed25519-key/1"
PASSPHRASE_ENV = "SSA_PASSPHRASE"
_argon2id = nacl.pwhash.argon2id

# Profiles of the argon2id cost: "sensitive" for long-lived keys on a server,
# "interactive" where a key is opened often on a small device (and in tests).
KDF_PROFILES = {
    "sensitive": (_argon2id.OPSLIMIT_MODERATE, _argon2id.MEMLIMIT_MODERATE),
    "interactive": (_argon2id.OPSLIMIT_INTERACTIVE, _argon2id.MEMLIMIT_INTERACTIVE),
}


class KeyFileError(Exception):
    """A key file cannot be created, read or opened; the message says why."""


@dataclass(frozen=True, slots=True)
class PublicKeyInfo:
    public_key: bytes
    kid: bytes
    label: str


def _derive(passphrase: bytes, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return _argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase, salt, opslimit, memlimit)


def seal_key(
    signing_key: SigningKey, passphrase: str, *, label: str = "", profile: str = "sensitive"
) -> dict[str, Any]:
    """The JSON document of an encrypted key file."""
    if not passphrase:
        raise KeyFileError("an empty passphrase cannot protect a private key")
    opslimit, memlimit = KDF_PROFILES[profile]
    salt = nacl.utils.random(_argon2id.SALTBYTES)
    box = nacl.secret.SecretBox(_derive(passphrase.encode(), salt, opslimit, memlimit))
    public_key = ed25519.public_key_of(signing_key)
    return {
        "format": FORMAT,
        "label": label,
        "public_key": public_key.hex(),
        "kid": ed25519.key_id(public_key).hex(),
        "kdf": {
            "alg": "argon2id",
            "salt": b64url_encode(salt),
            "opslimit": opslimit,
            "memlimit": memlimit,
        },
        "sealed_seed": b64url_encode(bytes(box.encrypt(bytes(signing_key)))),
    }


def write_key_file(
    path: str | os.PathLike[str],
    signing_key: SigningKey,
    passphrase: str,
    *,
    label: str = "",
    profile: str = "sensitive",
    overwrite: bool = False,
) -> PublicKeyInfo:
    """Seal ``signing_key`` into ``path`` (mode 0600, atomic; refuses to overwrite)."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise KeyFileError(f"{path} already exists; refusing to overwrite a key")
    document = seal_key(signing_key, passphrase, label=label, profile=profile)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(document, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return PublicKeyInfo(
        bytes.fromhex(document["public_key"]), bytes.fromhex(document["kid"]), label
    )


def generate_key_file(
    path: str | os.PathLike[str], passphrase: str, *, label: str = "", profile: str = "sensitive"
) -> tuple[SigningKey, PublicKeyInfo]:
    """Create a new Ed25519 key and store it encrypted at ``path``."""
    signing_key = SigningKey.generate()
    info = write_key_file(path, signing_key, passphrase, label=label, profile=profile)
    return signing_key, info


def _read(path: Path) -> dict[str, Any]:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(
                f"{path} is readable by other users (mode {stat.S_IMODE(mode):o}); "
                f"run: chmod 600 {path}"
            )
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"key file {path} cannot be read: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise KeyFileError(f"{path} is not an ssa-vouchers key file")
    return document


def read_public_key(path: str | os.PathLike[str]) -> PublicKeyInfo:
    """The public half of a key file, without the passphrase."""
    document = _read(Path(path))
    return PublicKeyInfo(
        bytes.fromhex(document["public_key"]),
        bytes.fromhex(document["kid"]),
        document.get("label", ""),
    )


def load_signing_key(path: str | os.PathLike[str], passphrase: str) -> SigningKey:
    """Open a key file; a wrong passphrase is a KeyFileError naming the file."""
    path = Path(path)
    document = _read(path)
    try:
        kdf = document["kdf"]
        salt = b64url_decode(kdf["salt"])
        sealed = b64url_decode(document["sealed_seed"])
        key = _derive(passphrase.encode(), salt, int(kdf["opslimit"]), int(kdf["memlimit"]))
        seed = nacl.secret.SecretBox(key).decrypt(sealed)
    except nacl.exceptions.CryptoError:
        raise KeyFileError(f"wrong passphrase for {path}") from None
    except (KeyError, TypeError, ValueError, nacl.exceptions.RuntimeError) as exc:
        raise KeyFileError(f"key file {path} is damaged: {exc}") from None
    signing_key = SigningKey(seed)
    if ed25519.public_key_of(signing_key).hex() != document["public_key"]:
        raise KeyFileError(f"key file {path} is damaged: public key does not match")
    return signing_key


def passphrase_from_env_or_prompt(prompt: str = "Passphrase: ", *, confirm: bool = False) -> str:
    """``SSA_PASSPHRASE`` if set, else ask on the terminal; never echoed nor logged."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    if not sys.stdin.isatty():
        raise KeyFileError(f"no passphrase: set {PASSPHRASE_ENV} or run on a terminal")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat passphrase: ") != first:
        raise KeyFileError("the two passphrases differ")
    return first

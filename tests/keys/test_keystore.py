"""Private keys: sealed at rest, readable only by their owner, opened only with the passphrase."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from keys import ed25519, keystore
from keys.keystore import KeyFileError


def _new(path: Path, passphrase: str = "correct horse") -> SigningKey:
    key, _ = keystore.generate_key_file(path, passphrase, label="issuer", profile="interactive")
    return key


def test_a_key_round_trips_with_its_passphrase(tmp_path: Path) -> None:
    key = _new(tmp_path / "k.json")
    assert bytes(keystore.load_signing_key(tmp_path / "k.json", "correct horse")) == bytes(key)


def test_the_file_is_owner_only_and_holds_no_seed_in_clear(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    key = _new(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert bytes(key).hex() not in text
    info = keystore.read_public_key(path)
    assert info.public_key == ed25519.public_key_of(key)
    assert info.kid == ed25519.key_id(info.public_key)
    assert json.loads(text)["kdf"]["alg"] == "argon2id"


def test_a_wrong_passphrase_is_a_clear_error(tmp_path: Path) -> None:
    _new(tmp_path / "k.json")
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        keystore.load_signing_key(tmp_path / "k.json", "battery staple")


def test_a_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    _new(path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        keystore.load_signing_key(path, "correct horse")


def test_an_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    _new(path)
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        _new(path)


def test_a_damaged_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    _new(path)
    document = json.loads(path.read_text())
    document["sealed_seed"] = document["sealed_seed"][:-4] + "AAAA"
    path.write_text(json.dumps(document))
    with pytest.raises(KeyFileError):
        keystore.load_signing_key(path, "correct horse")
    path.write_text("not json")
    with pytest.raises(KeyFileError, match="cannot be read"):
        keystore.load_signing_key(path, "correct horse")
    with pytest.raises(KeyFileError, match="does not exist"):
        keystore.load_signing_key(tmp_path / "absent.json", "x")


def test_an_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="empty passphrase"):
        keystore.generate_key_file(tmp_path / "k.json", "", profile="interactive")


def test_the_passphrase_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSA_PASSPHRASE", "from-env")
    assert keystore.passphrase_from_env_or_prompt() == "from-env"

"""The trust list opens only under the pinned root key and never rolls back."""

from __future__ import annotations

import pytest
from nacl.signing import SigningKey

from keys import ed25519
from keys.sample import SampleCaisse
from keys.trust_list import (
    TrustListInvalid,
    TrustListRollback,
    check_rollback,
    open_trust_list,
    sign_trust_list,
)

NOW = 1_800_000_000


def test_a_signed_list_round_trips() -> None:
    caisse = SampleCaisse(now=NOW)
    revoked = frozenset({b"\x01" * 8, b"\x02" * 8})
    original = caisse.trust_list(revoked_members=revoked, max_token_age_s=900)
    opened = open_trust_list(sign_trust_list(original, caisse.root_key), caisse.root_public_key)
    assert opened == original
    assert opened.issuer(caisse.issuer().kid) == caisse.issuer()


def test_a_list_signed_by_another_root_is_invalid() -> None:
    caisse = SampleCaisse(now=NOW)
    forged = sign_trust_list(caisse.trust_list(), SigningKey.generate())
    with pytest.raises(TrustListInvalid):
        open_trust_list(forged, caisse.root_public_key)


def test_an_issuer_whose_kid_does_not_match_its_key_is_invalid() -> None:
    caisse = SampleCaisse(now=NOW)
    issuer = caisse.issuer()
    bad = type(issuer)(issuer.caisse, b"\x00" * 8, issuer.key, issuer.not_before, issuer.not_after)
    with pytest.raises(TrustListInvalid, match="kid"):
        open_trust_list(caisse.signed_trust_list(issuers=(bad,)), caisse.root_public_key)


def test_garbage_is_invalid_not_a_crash() -> None:
    root = ed25519.public_key_of(SigningKey.generate())
    for data in (b"", b"\x00", b"\xd2\x84", bytes(200)):
        with pytest.raises(TrustListInvalid):
            open_trust_list(data, root)


def test_a_lower_seq_is_a_rollback_and_an_equal_one_is_not() -> None:
    caisse = SampleCaisse(now=NOW)
    check_rollback(caisse.trust_list(seq=5), installed_seq=5)
    check_rollback(caisse.trust_list(seq=6), installed_seq=5)
    check_rollback(caisse.trust_list(seq=1), installed_seq=None)
    with pytest.raises(TrustListRollback):
        check_rollback(caisse.trust_list(seq=4), installed_seq=5)

"""No input crashes the verifier, and no tampering with a signed byte is ever OK."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keys import base45, cbor, tokens
from keys.sample import SampleCaisse
from keys.trust_list import TrustListInvalid, open_trust_list
from keys.verify import MemoryJournal, ResultCode, verify_qr

NOW = 1_800_000_000
CAISSE = SampleCaisse(now=NOW)
TRUST_LIST = CAISSE.trust_list()
MERCHANT = "m-fuzz"
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _verify(qr: str) -> ResultCode:
    result = verify_qr(
        qr, trust_list=TRUST_LIST, merchant_id=MERCHANT, now=NOW, journal=MemoryJournal()
    )
    assert isinstance(result.code, ResultCode)
    return result.code


@pytest.fixture(scope="module")
def valid_tokens() -> dict[str, bytes]:
    member = CAISSE.member()
    return {
        "payment": tokens.from_qr(member.pay(1234, iat=NOW - 5)),
        "payment-aud": tokens.from_qr(member.pay(66, iat=NOW - 5, aud=MERCHANT)),
        "voucher": tokens.from_qr(CAISSE.voucher(500)),
    }


def test_the_unmutated_tokens_are_ok(valid_tokens: dict[str, bytes]) -> None:
    for cose in valid_tokens.values():
        assert _verify(tokens.to_qr(cose)) is ResultCode.OK


@FUZZ
@given(st.text(max_size=600))
def test_arbitrary_text_gets_a_result_code(text: str) -> None:
    assert _verify(text) is not ResultCode.OK


@FUZZ
@given(st.binary(max_size=600))
def test_arbitrary_bytes_behind_the_prefix_get_a_result_code(data: bytes) -> None:
    assert _verify(tokens.to_qr(data)) is not ResultCode.OK


@pytest.mark.parametrize("name", ["payment", "payment-aud", "voucher"])
@pytest.mark.parametrize("delta", [0x01, 0x80, 0xFF])
def test_every_single_byte_mutation_is_refused(
    valid_tokens: dict[str, bytes], name: str, delta: int
) -> None:
    cose = valid_tokens[name]
    for i in range(len(cose)):
        mutated = bytearray(cose)
        mutated[i] ^= delta
        code = _verify(tokens.to_qr(bytes(mutated)))
        assert code is not ResultCode.OK, f"byte {i} ^ {delta:#x} of the {name} was accepted"


@FUZZ
@given(data=st.data())
def test_random_single_byte_replacements_are_refused(valid_tokens: dict[str, bytes], data) -> None:
    cose = valid_tokens[data.draw(st.sampled_from(sorted(valid_tokens)))]
    i = data.draw(st.integers(0, len(cose) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != cose[i]))
    mutated = cose[:i] + bytes([value]) + cose[i + 1 :]
    assert _verify(tokens.to_qr(mutated)) is not ResultCode.OK


@FUZZ
@given(st.binary(max_size=400))
def test_cbor_decoder_raises_only_its_own_error(data: bytes) -> None:
    with contextlib.suppress(cbor.CBORError):
        cbor.decode(data)


@FUZZ
@given(st.binary(max_size=300))
def test_base45_round_trips(data: bytes) -> None:
    assert base45.b45decode(base45.b45encode(data)) == data


@FUZZ
@given(st.text(max_size=300))
def test_base45_decoder_raises_only_its_own_error(text: str) -> None:
    with contextlib.suppress(base45.Base45Error):
        base45.b45decode(text)


@FUZZ
@given(data=st.data())
def test_a_mutated_trust_list_never_opens(data) -> None:
    signed = CAISSE.signed_trust_list()
    i = data.draw(st.integers(0, len(signed) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != signed[i]))
    mutated = signed[:i] + bytes([value]) + signed[i + 1 :]
    with pytest.raises(TrustListInvalid):
        open_trust_list(mutated, CAISSE.root_public_key)

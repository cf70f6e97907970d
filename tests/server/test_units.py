"""Small pure pieces: signed-request header, calendar periods, one-time codes, config."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from keys.signed_request import (
    SignedRequestError,
    b64url_decode,
    b64url_encode,
    parse_authorization,
    sign_request,
    signing_message,
    verify_request,
)
from server.caisse import codes
from server.config import Config, ConfigError, from_json, load, save
from server.periods import period_at, periods_to_issue

BRUSSELS = ZoneInfo("Europe/Brussels")


def test_signed_request_round_trip_and_exact_message():
    key = SigningKey.generate()
    header = sign_request(key, "post", "/api/v1/x?a=1", b"{}", 1_700_000_000)
    signed = parse_authorization(header)
    assert signed.public_key == bytes(key.verify_key) and signed.ts == 1_700_000_000
    assert signing_message("post", "/p", 5, b"") == (
        b"POST\n/p\n5\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    verify_request(signed, method="POST", path="/api/v1/x?a=1", body=b"{}", now=1_700_000_300)
    with pytest.raises(SignedRequestError, match="timestamp"):
        verify_request(signed, method="POST", path="/api/v1/x?a=1", body=b"{}", now=1_700_000_301)
    with pytest.raises(SignedRequestError, match="does not verify"):
        verify_request(signed, method="POST", path="/api/v1/x", body=b"{}", now=1_700_000_000)


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_parse_authorization_never_crashes(text):
    with contextlib.suppress(SignedRequestError):
        parse_authorization(text)


def test_b64url_is_strict():
    assert b64url_decode(b64url_encode(b"\xff\xfe")) == b"\xff\xfe"
    for bad in ("a=", "a+b", "a/b", "a", "ab c"):
        with pytest.raises(ValueError):
            b64url_decode(bad)


def test_periods_are_brussels_calendar_months_across_dst():
    march = period_at(datetime(2026, 3, 15, 12, tzinfo=BRUSSELS).timestamp(), BRUSSELS)
    assert march.name == "2026-03"
    assert datetime.fromtimestamp(march.nbf, BRUSSELS) == datetime(2026, 3, 1, tzinfo=BRUSSELS)
    assert datetime.fromtimestamp(march.exp, BRUSSELS) == datetime(2026, 4, 1, tzinfo=BRUSSELS)
    assert march.exp - march.nbf == 31 * 86400 - 3600  # the DST night is an hour short
    december = period_at(datetime(2026, 12, 31, 23, 30, tzinfo=BRUSSELS).timestamp(), BRUSSELS)
    assert december.name == "2026-12" and december.next(BRUSSELS).name == "2027-01"
    # Just after midnight local time on the 1st is already the new month (UTC still the 31st).
    jan = period_at(datetime(2027, 1, 1, 0, 30, tzinfo=BRUSSELS).timestamp(), BRUSSELS)
    assert jan.name == "2027-01"


def test_next_period_is_issued_only_in_the_last_days():
    late = datetime(2026, 2, 24, 0, 0, 1, tzinfo=BRUSSELS).timestamp()
    early = datetime(2026, 2, 23, 23, 59, tzinfo=BRUSSELS).timestamp()
    assert [p.name for p in periods_to_issue(late, BRUSSELS, 5)] == ["2026-02", "2026-03"]
    assert [p.name for p in periods_to_issue(early, BRUSSELS, 5)] == ["2026-02"]


def test_codes_are_high_entropy_normalized_and_hashed():
    code = codes.new_code()
    assert len(code) == 24 and code.count("-") == 4
    assert codes.code_hash(code.lower().replace("-", " ")) == codes.code_hash(code)
    assert codes.code_hash("O" * 20) == codes.code_hash("0" * 20)
    assert codes.code_hash("short") is None and codes.code_hash("U" * 20) is None
    assert len({codes.new_code() for _ in range(200)}) == 200


def test_config_round_trips_and_refuses_unknown_or_bad_settings(tmp_path):
    cfg = Config(data_dir=tmp_path, caisse="be-x", allowance_cents=9000)
    save(cfg)
    assert load(tmp_path).allowance_cents == 9000
    document = json.loads((tmp_path / "config.json").read_text())
    with pytest.raises(ConfigError, match="unknown settings"):
        from_json(tmp_path, {**document, "alowance_cents": 1})
    with pytest.raises(ConfigError, match="allowance_cents"):
        from_json(tmp_path, {**document, "allowance_cents": -5})
    with pytest.raises(ConfigError, match="caisse id"):
        from_json(tmp_path, {**document, "caisse": "Bad Id"})
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path / "nowhere")


def test_a_member_csv_with_a_bare_carriage_return_in_its_header_is_refused_clearly():
    """Found by the console's form fuzzing: a bare CR in the header line. It ends the
    line (as old Mac files do), so the header has no name column: one clear refusal."""
    from server.caisse import member_csv

    read = member_csv.read("na\rme,email\n")
    assert read.error == member_csv.NO_NAME_COLUMN and read.lines == ()
    assert "name" in member_csv.MESSAGES[read.error]

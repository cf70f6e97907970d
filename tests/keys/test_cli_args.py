"""Values beginning with '-' reach their option, and nothing else changes."""

from __future__ import annotations

import argparse

from hypothesis import given
from hypothesis import strategies as st

from keys.cli_args import glue_dash_values

OPTIONS = ("--key", "--note")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(exit_on_error=False)
    p.add_argument("--key")
    p.add_argument("--note")
    p.add_argument("--merchant")
    p.add_argument("rest", nargs="*")
    return p


def test_a_key_beginning_with_a_dash_is_glued_to_its_option() -> None:
    argv = ["--merchant", "m", "--key", "-lba8U10DelWtNDq7hljxQ1ZsK8qIHcTXb11BCNi7Zs"]
    args = _parser().parse_args(glue_dash_values(argv, OPTIONS))
    assert args.key == "-lba8U10DelWtNDq7hljxQ1ZsK8qIHcTXb11BCNi7Zs" and args.merchant == "m"


def test_a_note_beginning_with_a_dash_is_kept_whole() -> None:
    args = _parser().parse_args(glue_dash_values(["--note", "- paid back in cash"], OPTIONS))
    assert args.note == "- paid back in cash"


def test_a_forgotten_value_still_fails_instead_of_eating_the_next_option() -> None:
    argv = glue_dash_values(["--key", "--merchant", "m"], OPTIONS)
    assert argv == ["--key", "--merchant", "m"]


def test_arguments_after_a_double_dash_are_left_alone() -> None:
    assert glue_dash_values(["--", "--key", "-x"], OPTIONS) == ["--", "--key", "-x"]


def test_an_option_at_the_end_without_value_is_left_for_argparse_to_report() -> None:
    assert glue_dash_values(["rest", "--key"], OPTIONS) == ["rest", "--key"]


def _parse(argv: list[str]) -> argparse.Namespace | None:
    try:
        return _parser().parse_args(argv)
    except (argparse.ArgumentError, SystemExit):
        return None


@given(st.lists(st.sampled_from(["--key", "--note", "--merchant", "-x", "--", "a", "-", "--k"]),
                max_size=8))  # fmt: skip
def test_a_command_line_argparse_already_accepts_keeps_its_meaning(argv: list[str]) -> None:
    plain = _parse(argv)
    if plain is not None:
        assert _parse(glue_dash_values(argv, OPTIONS)) == plain

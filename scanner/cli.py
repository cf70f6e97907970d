"""`ssa-scanner`: the shop's till tool. Subcommands are thin; each lives in its own module."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ssa-scanner", description="Accept SSA food-allowance QR codes at the till, offline."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    verify = sub.add_parser(
        "verify",
        help="judge QR texts against a trust list (one JSON line per QR)",
        description="Verify SSA1 QR texts offline. Exit 0 when judged, 3 when the trust "
        "list does not verify against the root key, 2 for unusable arguments.",
    )
    verify.add_argument(
        "--trust-list", required=True, metavar="FILE", help="signed trust list (binary or hex)"
    )
    verify.add_argument(
        "--root-key", required=True, metavar="KEY", help="root public key, hex or base64url"
    )
    verify.add_argument("--merchant", required=True, metavar="ID", help="this shop's merchant id")
    verify.add_argument(
        "--now", type=int, metavar="EPOCH", help="judge at this time (default: the clock)"
    )
    verify.add_argument(
        "--journal", metavar="PATH", help="durable SQLite journal (default: in memory)"
    )
    verify.add_argument(
        "qr", nargs="+", metavar="QR", help="QR texts, or - to read one per line from stdin"
    )

    decode = sub.add_parser("decode", help="read QR codes in image files (one JSON line per file)")
    decode.add_argument("files", nargs="+", metavar="FILE")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "verify":
        from . import verify_command

        return verify_command.main(args)
    if args.command == "decode":
        from . import decode_command

        return decode_command.main(args.files)
    raise AssertionError(args.command)  # pragma: no cover - argparse enforces the choices


if __name__ == "__main__":
    sys.exit(main())

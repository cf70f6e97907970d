"""`ssa-scanner`: the shop's till tool. Subcommands are thin; each lives in its own module."""

from __future__ import annotations

import argparse
import sys

from keys.cli_args import glue_dash_values

DASH_VALUE_OPTIONS = ("--root-key",)  # base64url may begin with "-"


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

    def with_data(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--data",
            metavar="DIR",
            help="data directory (default: $SSA_SCANNER_DATA or ~/.local/share/ssa-scanner)",
        )
        return p

    enroll = with_data(sub.add_parser("enroll", help="enrol this till with the caisse's code"))
    enroll.add_argument(
        "--server", metavar="URL", help="the caisse's server (the enrolment QR names it)"
    )
    given = enroll.add_mutually_exclusive_group(required=True)
    given.add_argument(
        "--code", help="the enrolment code the caisse gave the shop, or its enrolment link"
    )
    given.add_argument(
        "--qr", metavar="IMAGE", help="a photo or scan of the enrolment QR on the caisse's letter"
    )
    enroll.add_argument(
        "--root-key", metavar="KEY", help="expected root key (hex), if the caisse gave one"
    )
    enroll.add_argument(
        "--kdf",
        choices=["sensitive", "interactive"],
        default="sensitive",
        help="cost of the key's passphrase hashing (interactive for small devices)",
    )

    run = with_data(sub.add_parser("run", help="the till: camera, keyboard-wedge reader, verdicts"))
    run.add_argument(
        "--camera", metavar="0|URL|FILE", help="webcam index, phone stream URL or video file"
    )
    run.add_argument("--headless", action="store_true", help="no window: one JSON line per scan")
    run.add_argument(
        "--lang", choices=["fr", "nl", "en"], help="language (default: from the system)"
    )
    run.add_argument(
        "--no-sync", action="store_true", help="never contact the server while running"
    )
    run.add_argument(
        "--no-stdin", action="store_true", help="headless: do not read QR texts from stdin"
    )
    run.add_argument("--sync-interval", type=float, default=120, metavar="SECONDS")

    sync = with_data(
        sub.add_parser(
            "sync",
            help="send unsent scans and refresh the trust list",
            description="Ask the caisse where this till stands, send unsent scans, refresh "
            "the trust list. Exit 0 when done, 1 when the server cannot be reached or "
            "refuses a batch, 4 when the caisse revoked this till or suspended the shop "
            "(its unsent scans are kept: see handover).",
        )
    )
    sync.add_argument("--batch-size", type=int, default=500, metavar="N", help="scans per batch")
    sync.add_argument("--lang", choices=["fr", "nl", "en"], help="language of the messages")
    status = with_data(
        sub.add_parser(
            "status",
            help="today's takings, last sync, trust list age, unsent scans, revoked or not",
        )
    )
    status.add_argument("--json", action="store_true", help="the same facts as JSON, for scripts")
    status.add_argument("--lang", choices=["fr", "nl", "en"], help="language (default: the system)")
    handover = with_data(
        sub.add_parser("handover", help="take over another till's unsent scans (same shop)")
    )
    handover.add_argument("--from", dest="old", required=True, metavar="DIR",
                          help="the old till's data directory")  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(glue_dash_values(argv, DASH_VALUE_OPTIONS))
    if args.command == "verify":
        from . import verify_command

        return verify_command.main(args)
    if args.command == "decode":
        from . import decode_command

        return decode_command.main(args.files)
    if args.command in ("enroll", "run", "sync", "status", "handover"):
        from . import commands

        return commands.main(args)
    raise AssertionError(args.command)  # pragma: no cover - argparse enforces the choices


if __name__ == "__main__":
    sys.exit(main())

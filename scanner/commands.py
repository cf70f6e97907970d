"""`ssa-scanner enroll | run | sync | status`: load the data directory, then do one thing."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

from keys import keystore
from keys.trust_list import TrustListInvalid

from . import camera
from .api_client import ApiClient, ServerError, TillRefused
from .background_sync import BackgroundSync
from .enroll import EnrollError, enroll, read_enrollment, read_enrollment_qr
from .handover import HandoverError, hand_over
from .journal import Journal, JournalError
from .messages import Messages
from .status import report, screen, status
from .store import NotEnrolled, ScannerStore
from .sync import sync
from .till import Till, TrustListHolder
from .verify_command import UsageError, parse_public_key

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 4
MIN_PASSPHRASE = 10
# What a command may meet that is the user's to fix, not a bug: a clear message, no traceback.
EXPECTED = (
    NotEnrolled,
    EnrollError,
    HandoverError,
    ServerError,
    TrustListInvalid,
    keystore.KeyFileError,
    JournalError,
    camera.CameraError,
    UsageError,
)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _print_json(document: dict) -> None:
    print(json.dumps(document), flush=True)


def cmd_enroll(args) -> int:
    store = ScannerStore(args.data)
    given = read_enrollment_qr(args.qr) if args.qr else args.code
    server_url, code = read_enrollment(given, args.server)
    passphrase = keystore.passphrase_from_env_or_prompt(
        "Passphrase to protect this scanner's key: ", confirm=True
    )
    if not store.key_path.exists() and len(passphrase) < MIN_PASSPHRASE:
        raise UsageError(
            f"the passphrase must be at least {MIN_PASSPHRASE} characters: it protects the "
            "shop's key, and `run` and `sync` ask for it (or read SSA_PASSPHRASE)"
        )
    client = ApiClient(server_url)
    try:
        config = enroll(
            store,
            client,
            server_url=server_url,
            code=code,
            passphrase=passphrase,
            expected_root_key=parse_public_key(args.root_key) if args.root_key else None,
            kdf_profile=args.kdf,
        )
    finally:
        client.close()
    _say(f"enrolled as merchant {config.merchant_id}; data in {store.dir}")
    _print_json({"merchant_id": config.merchant_id, "data": str(store.dir)})
    return EXIT_OK


def _refused(journal: Journal, config, t: Messages, trust_list) -> str:
    """What a refused till says on its terminal: the band's words, in its language."""
    shown = screen(status(config, journal, trust_list, int(time.time())), int(time.time()), t)
    return f"{shown.band}\n{shown.band_detail}"


def cmd_sync(args) -> int:
    store = ScannerStore(args.data)
    config = store.config()
    t = Messages(args.lang)
    key = keystore.load_signing_key(store.key_path, keystore.passphrase_from_env_or_prompt())
    client = ApiClient(config.server_url)
    try:
        with Journal(store.journal_path) as journal:
            try:
                report_ = sync(store, journal, client, key, batch_size=args.batch_size)
            except TillRefused:
                _say(_refused(journal, config, t, store.trust_list()))
                return EXIT_REFUSED
    finally:
        client.close()
    _print_json(report_.to_json())
    return EXIT_OK


def cmd_status(args) -> int:
    store = ScannerStore(args.data)
    config = store.config()
    now = int(time.time())
    with Journal(store.journal_path) as journal:
        doc = status(config, journal, store.trust_list(), now)
    if args.json:
        _print_json(doc)
    else:
        print(report(doc, now, Messages(args.lang)), flush=True)
    return EXIT_OK


def cmd_run(args) -> int:
    from .decode import decode_frame

    store = ScannerStore(args.data)
    config = store.config()
    trust_lists = TrustListHolder(store.trust_list())
    messages = Messages(args.lang)
    window = None
    syncer = None
    if not args.no_sync:
        try:
            key = keystore.load_signing_key(
                store.key_path, keystore.passphrase_from_env_or_prompt()
            )
            syncer = BackgroundSync(
                store,
                key,
                trust_lists,
                interval_s=args.sync_interval,
                on_status=_say,
                messages=messages,
            )
        except keystore.KeyFileError as exc:
            _say(messages("status.sync_off", error=exc))

    def on_camera(state: camera.CameraState) -> None:
        _say(state.words(messages))
        if window is not None:
            window.camera_state(state)

    frames, stop_camera = (None, lambda: None)
    if args.camera is not None:
        frames, stop_camera = camera.frames_from(args.camera, on_state=on_camera)
    journal = Journal(store.journal_path)
    till = Till(journal, config.merchant_id, trust_lists)
    on_scan = (lambda event: syncer.now()) if syncer else (lambda event: None)

    def current_screen():
        now = int(time.time())
        return screen(status(config, journal, trust_lists.current, now), now, messages)

    if syncer:
        syncer.start()
    try:
        if args.headless:
            from .headless import HeadlessRun

            runner = HeadlessRun(
                till, decode=decode_frame, out=sys.stdout, on_status=_say, on_scan=on_scan,
                messages=messages,
            )  # fmt: skip
            signal.signal(signal.SIGTERM, lambda *_: runner.stop())
            shown = current_screen()
            _say(shown.line)
            if shown.band:
                _say(f"{shown.band}\n{shown.band_detail}".rstrip())
            runner.run(frames, sys.stdin if not args.no_stdin else None)
        else:
            from .till_window import TillWindow

            window = TillWindow(
                till, frames=frames, decode=decode_frame, messages=messages,
                status=current_screen, on_scan=on_scan, camera=args.camera,
            )  # fmt: skip
            window.run()
    except KeyboardInterrupt:
        pass
    finally:
        stop_camera()
        if syncer:
            syncer.stop()
        journal.close()
    return EXIT_OK


def cmd_handover(args) -> int:
    report = hand_over(ScannerStore(Path(args.old)), ScannerStore(args.data), now=int(time.time()))
    _say(f"{report['taken']} scans taken over; run `ssa-scanner sync` to send them")
    _print_json(report)
    return EXIT_OK


COMMANDS = {
    "enroll": cmd_enroll,
    "sync": cmd_sync,
    "status": cmd_status,
    "run": cmd_run,
    "handover": cmd_handover,
}


def main(args) -> int:
    args.data = Path(args.data) if args.data else None
    if args.data is None:
        from .store import default_data_dir

        args.data = default_data_dir()
    try:
        return COMMANDS[args.command](args)
    except EXPECTED as exc:
        _say(f"ssa-scanner {args.command}: {exc}")
        return EXIT_USAGE if isinstance(exc, NotEnrolled | UsageError) else EXIT_FAILED

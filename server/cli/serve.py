"""``ssa-server``: run a caisse's HTTP server (uvicorn) on its data directory.

Every option has an environment variable (SSA_DATA, SSA_HOST, SSA_PORT,
SSA_DATABASE_URL); the key passphrase comes from SSA_PASSPHRASE or a prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import uvicorn

from keys import keystore
from server import log
from server.caisse.keyring import KeyRingError
from server.config import ConfigError, load
from server.db.seam import DatabaseError, open_database, redact


def port_number(text: str) -> int:
    """``--port`` / ``SSA_PORT``: argparse also applies this to the environment default,
    so ``SSA_PORT=abc`` is one clear usage error, not a traceback."""
    if not (text.isascii() and text.isdigit() and 0 < int(text) < 65536):
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, not {text!r}")
    return int(text)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ssa-server", description="Run a caisse's HTTP server.")
    p.add_argument(
        "--data",
        default=os.environ.get("SSA_DATA"),
        help="caisse data directory (config, keys, SQLite database) [SSA_DATA]",
    )
    p.add_argument(
        "--host",
        default=os.environ.get("SSA_HOST", "127.0.0.1"),
        help="address to listen on [SSA_HOST, default 127.0.0.1]",
    )
    p.add_argument(
        "--port",
        type=port_number,
        default=os.environ.get("SSA_PORT", "8000"),
        help="port [SSA_PORT, default 8000]",
    )
    p.add_argument(
        "--database",
        default=None,
        help="postgresql://... instead of the SQLite file [SSA_DATABASE_URL]",
    )
    p.add_argument(
        "--log-level",
        default=os.environ.get("SSA_LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
    )
    p.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For from 127.0.0.1 (behind a reverse proxy)",
    )
    return p


async def _probe_database(url: str) -> None:
    """Open and close the database once, so a bad URL is one clear line, not a traceback."""
    db = open_database(url)
    await db.open()
    await db.close()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.data:
        print("ssa-server: --data DIR (or SSA_DATA) is required", file=sys.stderr)
        return 2
    log.setup(args.log_level)
    try:
        config = load(args.data, args.database)
        asyncio.run(_probe_database(config.database))
        from server.app import create_app
        from server.cli.audit import cli_actor

        app = create_app(config, actor=cli_actor())
    except (ConfigError, DatabaseError, KeyRingError, keystore.KeyFileError) as exc:
        print(f"ssa-server: {exc}", file=sys.stderr)
        return 1
    print(
        f"ssa-server: caisse {config.caisse} on http://{args.host}:{args.port} "
        f"(database {redact(config.database)})",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips="127.0.0.1" if args.proxy_headers else None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

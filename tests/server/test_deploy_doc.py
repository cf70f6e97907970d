"""docs/deploy.md stays true: its systemd units run commands the programs accept, and its
Caddyfile proxies to the port the server listens on."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from server.cli import admin, serve

DOC = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()


def exec_starts() -> list[list[str]]:
    return [shlex.split(line) for line in re.findall(r"^ExecStart=(.+)$", DOC, re.M)]


def test_every_exec_start_is_a_command_the_programs_accept():
    commands = exec_starts()
    assert {Path(c[0]).name for c in commands} == {"ssa-server", "ssa-admin"}
    for command in commands:
        if Path(command[0]).name == "ssa-server":
            args = serve.parser().parse_args(command[1:])
            assert args.proxy_headers and args.host == "127.0.0.1"
        else:
            args = admin.parser().parse_args(command[1:])
            assert args.command == "reconcile"


def test_caddy_proxies_to_the_servers_port_and_the_timer_runs_nightly():
    server = next(c for c in exec_starts() if c[0].endswith("ssa-server"))
    port = server[server.index("--port") + 1]
    assert f"reverse_proxy 127.0.0.1:{port}" in DOC
    assert re.search(r"^OnCalendar=\*-\*-\* \d\d:\d\d:00$", DOC, re.M)
    assert "Persistent=true" in DOC


def test_the_init_command_of_the_guide_sets_the_public_https_address():
    line = next(x for x in DOC.splitlines() if " init --caisse " in x)
    args = admin.parser().parse_args(
        ["--data", "/d", "init", *shlex.split(line.split(" init ", 1)[1])]
    )
    assert args.base_url.startswith("https://")

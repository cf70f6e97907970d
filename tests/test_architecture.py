"""The tree tells the architecture, and its arrows point one way.

Every import of every module under ``server/``, ``scanner/`` and ``keys/`` is read
(including imports inside functions); a module may import only from its own layer
or a lower one:

    cli -> app -> api | console -> context -> ledger -> caisse -> storage -> db -> base

``base`` is the handful of top-level concept modules every layer may use
(config, errors, log, periods, validation). ``api`` and ``console`` are two
doors side by side: neither imports the other. ``server`` and ``scanner`` both
stand on ``keys`` and never import each other; ``keys`` imports neither.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SERVER_LAYERS = {
    "base": 0,
    "db": 1,
    "storage": 2,
    "caisse": 3,
    "ledger": 4,
    "context": 5,
    "api": 6,
    "console": 6,
    "app": 7,
    "cli": 8,
}
BASE = {"banking", "config", "errors", "languages", "log", "periods", "validation"}
SIDE_BY_SIDE = {("api", "console"), ("console", "api")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            out.append((node.lineno, module))
            # `from server import members` imports the module server.members
            out.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
    return out


def layer(module: str) -> str | None:
    """The server layer of a dotted module name, None outside ``server``."""
    parts = module.split(".")
    if parts[0] != "server" or len(parts) < 2:
        return None
    head = parts[1]
    if head in BASE:
        return "base"
    return head if head in SERVER_LAYERS else None


def sources(top: str) -> list[Path]:
    return sorted((ROOT / top).rglob("*.py"))


def arrows_that_point_the_wrong_way() -> list[str]:
    wrong = []
    for top in ("server", "scanner", "keys"):
        for path in sources(top):
            here = module_name(path)
            for line, target in imports_of(path):
                root = target.split(".")[0]
                where = f"{path.relative_to(ROOT)}:{line} imports {target}"
                if top == "keys" and root in ("server", "scanner"):
                    wrong.append(f"{where} (keys/ stands below both)")
                elif {top, root} == {"server", "scanner"}:
                    wrong.append(f"{where} (server and scanner never import each other)")
                elif top == "server" and root == "server":
                    src, dst = layer(here), layer(target)
                    if src is None or dst is None:
                        continue
                    if (src, dst) in SIDE_BY_SIDE:
                        wrong.append(f"{where} ({src} and {dst} stand side by side)")
                    elif SERVER_LAYERS[dst] > SERVER_LAYERS[src]:
                        wrong.append(f"{where} ({src} may not import the higher layer {dst})")
    return wrong


def test_every_import_points_down_the_layers():
    assert arrows_that_point_the_wrong_way() == []


def test_every_server_module_sits_in_a_named_layer():
    """A new top-level module must be placed in a layer (or be one of the base concepts)."""
    unplaced = [
        module_name(p)
        for p in sources("server")
        if p.parent == ROOT / "server" and p.name != "__init__.py" and layer(module_name(p)) is None
    ]
    unplaced += [
        module_name(p)
        for p in (ROOT / "server").iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and layer(module_name(p)) is None
    ]
    assert unplaced == []


@pytest.mark.parametrize(
    ("source", "text", "expected"),
    [
        ("server/db/seam.py", "from server.storage.core import Storage\n", "higher layer storage"),
        (
            "server/caisse/members.py",
            "from server.ledger import reconcile\n",
            "higher layer ledger",
        ),
        ("server/api/wallet.py", "from server.console.call import Call\n", "side by side"),
        ("server/storage/core.py", "def f():\n    from ..api import auth\n", "higher layer api"),
        ("keys/verify.py", "import scanner.journal\n", "stands below both"),
        ("scanner/sync.py", "from server.caisse import trust\n", "never import each other"),
    ],
)
def test_the_checker_catches_an_arrow_pointing_up(tmp_path, monkeypatch, source, text, expected):
    """The checker itself can fail: a planted upward import is reported."""
    fake = tmp_path / source
    fake.parent.mkdir(parents=True)
    fake.write_text(text)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = arrows_that_point_the_wrong_way()
    assert len(found) >= 1 and expected in found[0]

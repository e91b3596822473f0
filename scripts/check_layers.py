#!/usr/bin/env python3
"""Checks the package's shape: imports only point down the layers, ``core`` does no I/O, and no
module is over 400 lines. Prints each violation; exits 1 if there is any. CI runs it through
tests/test_layout.py."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: folder -> (import path, layer rank); a module may import only from ranks at or below its own.
FOLDERS = {
    "emulator/core": ("trigger_emulator.core", 0),
    "emulator/store": ("trigger_emulator.store", 1),
    "emulator/service": ("trigger_emulator.service", 2),
    "emulator/api": ("trigger_emulator.api", 3),
    "emulator/local": ("trigger_emulator.local", 4),
    "pytest_plugin": ("trigger_emulator.pytest_plugin", 5),
    "emulator/tools": ("trigger_emulator.tools", 6),
    "emulator": ("trigger_emulator", 7),
}
RANKS = {package: rank for package, rank in FOLDERS.values()}
#: Third-party and standard modules a layer must not touch (``core`` is pure; SQL stays in ``store``).
FORBIDDEN = {
    0: ("sqlite3", "aiosqlite", "starlette", "httpx", "respx", "uvicorn", "asyncio", "socket", "subprocess"),
    2: ("sqlite3", "aiosqlite", "starlette", "httpx"),
}
MAX_LINES = 400


def package_of(path: Path) -> tuple[str, int]:
    rel = path.relative_to(ROOT).parent.as_posix()
    return FOLDERS[rel]


def rank_of(module: str) -> int | None:
    best = None
    for package, rank in RANKS.items():
        if module == package or module.startswith(package + "."):
            if best is None or len(package) > len(best[0]):
                best = (package, rank)
    return None if best is None else best[1]


def imported(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
            out.extend((node.lineno, n) for n in names)
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
    return out


def check() -> list[str]:
    problems = []
    files = sorted((ROOT / "emulator").rglob("*.py")) + sorted((ROOT / "pytest_plugin").rglob("*.py"))
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        package, rank = package_of(path)
        text = path.read_text()
        lines = text.count("\n")
        if lines > MAX_LINES:
            problems.append(f"{rel}: {lines} lines (split it before {MAX_LINES})")
        for lineno, module in imported(ast.parse(text), package):
            target = rank_of(module)
            if target is not None and target > rank and not (rank == 7 or path.name == "__main__.py"):
                problems.append(f"{rel}:{lineno}: imports {module} from a layer above its own")
            for bad in FORBIDDEN.get(rank, ()):
                if module == bad or module.startswith(bad + "."):
                    problems.append(f"{rel}:{lineno}: imports {module}, which its layer must not use")
    return problems


if __name__ == "__main__":
    found = check()
    for line in found:
        print(line)
    sys.exit(1 if found else 0)

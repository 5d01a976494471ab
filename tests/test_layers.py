"""Imports flow one way: tei ← archive ← webui. Checked on the source, statement by statement."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# package → the project packages it may import
ALLOWED = {"tei": {"tei"}, "archive": {"tei", "archive"}, "webui": {"tei", "archive", "webui"}}
THIRD_PARTY_FOR_TEI = {"lxml", "elementpath"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_flow_one_way(package: str) -> None:
    offending = []
    for path in python_files(package):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in ALLOWED and top not in ALLOWED[package]:
                offending.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offending == []


def test_tei_imports_only_stdlib_lxml_and_elementpath() -> None:
    import sys

    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    offending = []
    for path in python_files("tei"):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top not in stdlib | THIRD_PARTY_FOR_TEI | {"tei"}:
                offending.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offending == []


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from archive.model import Source\nimport webui\n")
    assert imported_modules(bad) == {"archive.model", "webui"}

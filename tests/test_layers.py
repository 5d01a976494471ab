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


# --- inside archive/: subpackages, public names, no cycles, SQL in one place -----------------

SUBPACKAGES = sorted(path.parent.name for path in (ROOT / "archive").glob("*/__init__.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_from(path: Path) -> list[tuple[str, str, int]]:
    """(absolute module, imported name, line) of every ``from … import …`` in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found += [(module, alias.name, node.lineno) for alias in node.names]
    return found


def public_names(package: str) -> set[str]:
    tree = ast.parse((ROOT / package.replace(".", "/") / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_each_subpackage_declares_its_public_names(package: str) -> None:
    import importlib

    if package == "commands":  # the CLI's command modules, imported by cli.py one by one
        return
    module = importlib.import_module(f"archive.{package}")
    assert module.__all__, f"archive/{package}/__init__.py declares no __all__"
    assert [name for name in module.__all__ if not hasattr(module, name)] == []


def test_other_packages_import_a_subpackage_only_through_its_public_names() -> None:
    offending = []
    for path in python_files("archive") + python_files("webui"):
        importer = module_name(path)
        for module, name, line in imports_from(path):
            parts = module.split(".")
            if parts[0] != "archive" or len(parts) < 2 or parts[1] not in SUBPACKAGES:
                continue
            package = f"archive.{parts[1]}"
            if importer == package or importer.startswith(package + ".") or parts[1] == "commands":
                continue  # inside the package itself
            where = f"{path.relative_to(ROOT)}:{line}"
            if module != package:
                offending.append(f"{where} imports {module} (not its package)")
            elif name not in public_names(package):
                offending.append(f"{where} imports {name}, not in {package}.__all__")
    assert offending == []


def test_no_module_imports_a_private_name_from_another() -> None:
    offending = [f"{path.relative_to(ROOT)}:{line} imports {name} from {module}"
                 for package in ALLOWED for path in python_files(package)
                 for module, name, line in imports_from(path)
                 if module.split(".")[0] in ALLOWED and name.startswith("_")
                 and name != "__version__"]
    assert offending == []


def test_no_import_cycle_inside_archive() -> None:
    import grimp

    graph = grimp.build_graph("archive")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                cycles.append(" -> ".join((module, *back)))
    assert cycles == []


def test_the_cycle_check_sees_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import grimp

    package = tmp_path / "loop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from .b import g\n")  # deferred counts too
    (package / "b.py").write_text("from .a import f\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("loop", cache_dir=None)
    assert graph.find_shortest_chain(importer="loop.b", imported="loop.a")
    assert graph.find_shortest_chain(importer="loop.a", imported="loop.b")


def test_sql_lives_only_in_the_index_package() -> None:
    offending = []
    for package in ("archive", "webui"):
        for path in python_files(package):
            if path.is_relative_to(ROOT / "archive" / "index"):
                continue
            modules = imported_modules(path)
            if modules & {"sqlite3", "psycopg", "psycopg_pool"}:
                offending.append(f"{path.relative_to(ROOT)} imports a database driver")
            if ".execute(" in path.read_text(encoding="utf-8"):
                offending.append(f"{path.relative_to(ROOT)} executes a statement")
    assert offending == []

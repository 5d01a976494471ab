"""Shared fixtures. Keep this small: one fixture per shared, expensive resource.

Third-party material is never part of the repository: the official ``tei_all.rng``, other
projects' TEI samples and the evaluation gold are read from one folder, ``$ARCHIVE_SHARED_DIR``
(default: ``shared/`` beside the checkout). The fixtures below hand out its parts; a test that
needs a missing part is skipped with one line saying what to put where. CI always has the
folder: with ``CI`` set, its absence fails the session instead.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def _load(name: str) -> object:
    """A helper module beside this file (the tests are no package: --import-mode=importlib)."""
    spec = importlib.util.spec_from_file_location(f"archive_tests_{name}",
                                                  Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


postgres: object = _load("postgres")
_load("servers")  # free_port, wait_for_port: `from archive_tests_servers import …`

# Passwords hashed with argon2's cheapest parameters, in this process and those it starts:
# logins are many here, and each costs ~0.25 s of CPU with the archive's own (tests of the
# hashing itself set them back: tests/archive/accounts, the login timing in tests/webui).
os.environ.setdefault("ARCHIVE_PASSWORD_PROFILE", "CHEAPEST")

#: The one setting for third-party material (read-only; never copied into the repository).
SHARED_DIR = Path(os.environ.get("ARCHIVE_SHARED_DIR")
                  or Path(__file__).resolve().parents[1].parent / "shared")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_sessionstart(session: pytest.Session) -> None:
    if _in_ci() and not SHARED_DIR.is_dir():
        pytest.exit(f"CI is set but the shared material is missing: {SHARED_DIR} is not a folder "
                    f"(CI runs every test: put shared/ beside the checkout or set "
                    f"ARCHIVE_SHARED_DIR)", returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    postgres.stop_cluster()  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def index_engine(request: pytest.FixtureRequest,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Runs a test on the SQLite index, then on PostgreSQL (a fresh database, named by
    ``ARCHIVE_INDEX_URL``): see tests/postgres.py."""
    yield from postgres.engine(request.param, monkeypatch)  # type: ignore[attr-defined]


@pytest.fixture
def postgresql_index(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A test's own PostgreSQL database as the index (``ARCHIVE_INDEX_URL``), for the tests
    of PostgreSQL alone; skipped where it is not installed."""
    yield from postgres.engine("postgresql", monkeypatch)  # type: ignore[attr-defined]


def shared_path(relative: str, what: str) -> Path:
    """``relative`` inside the shared folder; skips the test (fails it under CI) when absent."""
    path = SHARED_DIR / relative
    if not path.exists():
        where = os.environ.get("ARCHIVE_SHARED_DIR") or "../shared"
        message = (f"needs {where.rstrip('/')}/{relative} ({what}): set ARCHIVE_SHARED_DIR or "
                   f"put shared/ beside the checkout")
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def tei_all() -> Path:
    """The official tei_all.rng, compiled once per test session (~20 s) via tei.validate's cache.

    Tests pass the returned path as ``rng=``; the compiled schema is reused from the cache.
    """
    from tei.validate import compile_relaxng

    path = shared_path("tei/tei_all.rng", "the official TEI P5 schema")
    compile_relaxng(path)
    return path


@pytest.fixture(scope="session")
def tei_samples() -> Path:
    """The folder of five real TEI files from other projects (see its README.md)."""
    return shared_path("tei-samples", "real TEI files from other projects")


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    """The evaluation folder: ``gold/*.jsonl`` for the bundled samples, and ``score.py``."""
    return shared_path("eval", "the gold annotations of the samples and score.py")


@pytest.fixture(scope="session")
def built_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample archive built once per session (real readers, tagging, validation, index).

    Tests must not change it: copy it (``shutil.copytree``) to change anything.
    """
    from archive.build import build, sample_sources
    from archive.config import Settings

    data_dir = tmp_path_factory.mktemp("built") / "data"
    report = build(Settings(data_dir=data_dir), sample_sources())
    assert report.failures == []
    return data_dir

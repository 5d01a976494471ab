"""A throwaway PostgreSQL cluster for the tests, and the fixture that runs a test on both engines.

:func:`postgres_cluster` (session) starts a real PostgreSQL (Debian's ``postgresql``: initdb and
pg_ctl) in a temporary folder on a free loopback port, as an unprivileged user (``postgres``,
through ``runuser``, when the tests run as root: initdb refuses root), and stops it at the end
of the session. :meth:`Cluster.database` gives a test a fresh empty database.

``index_engine`` (params ``sqlite`` and ``postgresql``) runs a test once per engine: for
``postgresql`` it sets ``ARCHIVE_INDEX_URL`` to a fresh database for the test, which every
index update then publishes to and every reader reads from. A data directory indexed before
(a session's shared archive) is published into it with :meth:`Engine.use`. Without PostgreSQL
installed, the ``postgresql`` half is skipped with one line saying so.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from archive.config import Settings

#: The superuser the cluster is made with.
USER = "archive_test"


def _binaries() -> Path | None:
    """The folder of initdb and pg_ctl (on PATH, else Debian's), or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                     key=lambda name: int(name.split("/")[-2]) if name.split("/")[-2].isdigit()
                     else 0)
    return Path(folders[-1]) if folders and Path(folders[-1], "initdb").exists() else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A running throwaway cluster: its folder, port and the URL of a database in it."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="archive-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: the package's own unprivileged user
            shutil.chown(self.folder, "postgres", "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self._names = itertools.count(1)
        self._empty: list[str] = []  # databases a test left as they were made (see recycle)
        self._shared: dict[tuple[str, int, int, int, bool], tuple[str, dict[str, object]]] = {}

    def _run(self, *command: str) -> None:
        result = subprocess.run([*self.prefix, *command], capture_output=True, text=True,
                                check=False, timeout=120)
        if result.returncode:
            raise RuntimeError(f"{command[0]} failed: {result.stderr.strip() or result.stdout}")

    def start(self) -> None:
        self._run(str(self.binaries / "initdb"), "-D", str(self.data), "-U", USER,
                  "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
        settings = (f"-p {self.port} -c listen_addresses=127.0.0.1"
                    f" -c unix_socket_directories={self.folder} -c fsync=off"
                    " -c synchronous_commit=off -c full_page_writes=off"
                    " -c max_connections=300")
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-o", settings,
                  "-l", str(self.folder / "log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(statement)

    def database(self, name: str | None = None, template: str = "template0") -> str:
        """A new database's URL: empty, or a copy of ``template``."""
        if name is None and template == "template0" and self._empty:
            return self._empty.pop()
        name = name or f"test_{os.getpid()}_{next(self._names)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.url(name)

    def recycle(self, url: str) -> None:
        """After a test: its database dropped, or kept as the next test's empty database where
        nothing was made in it (most tests read a shared database: see :meth:`shared`)."""
        import psycopg

        with psycopg.connect(url, autocommit=True) as db:
            made = db.execute(
                "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname <> 'public'"
                "  AND nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%')"
                " OR EXISTS (SELECT FROM pg_class WHERE relnamespace = 'public'::regnamespace)"
            ).fetchone()[0]
        if made:
            self.drop(url)
        else:
            self._empty.append(url)

    def shared(self, data_dir: Path, files: bool = False) -> str:
        """A database holding the published index of ``data_dir`` (made once per state of its
        ``index.sqlite``), and with ``files`` its files as an update publishes them (which
        records the database in ``data_dir``), for the tests that read it; made again after a
        test changed it (see :meth:`release`)."""
        from archive.index.pg import publish
        from archive.index.pgstore import publish_files

        index = data_dir / "index.sqlite"
        stat = index.stat()
        key = (str(data_dir.resolve()), stat.st_mtime_ns, stat.st_size, stat.st_ino, files)
        found = self._shared.get(key)
        if found is None:
            url = self.database(f"shared_{os.getpid()}_{next(self._names)}")
            if files:
                publish_files(url, data_dir)
            publish(url, index, None)
            found = self._shared[key] = (url, self._meta(url))
        return found[0]

    def release(self, url: str) -> None:
        """After a test that read the shared database ``url``: dropped (made again when next
        asked for) where the test published anything to it."""
        for key, (shared, meta) in list(self._shared.items()):
            if shared == url and self._meta(url) != meta:
                del self._shared[key]
                self.drop(url)

    def _meta(self, url: str) -> dict[str, object]:
        """The meta rows of the published index, and of the published files where any."""
        import psycopg

        from archive.index import pg, pgstore

        with psycopg.connect(url, autocommit=True) as db:
            found: dict[str, object] = dict(
                db.execute(f"SELECT key, value FROM {pg.SCHEMA}.meta").fetchall())
            if db.execute("SELECT to_regclass(%s)", (f"{pgstore.SCHEMA}.meta",)).fetchone()[0]:
                found["files"] = db.execute(f"SELECT key, value FROM {pgstore.SCHEMA}.meta"
                                            " ORDER BY key").fetchall()
            return found

    def drop(self, url: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


#: The session's cluster (one per test process), or the reason there is none.
_STARTED: list[Cluster | str] = []


def cluster() -> Cluster:
    """The session's cluster, started at the first call; skips the test where PostgreSQL is not
    installed."""
    if not _STARTED:
        binaries = _binaries()
        if binaries is None:
            _STARTED.append("PostgreSQL is not installed (initdb/pg_ctl: Debian's postgresql "
                            "package; `make test` installs it)")
        else:
            found = Cluster(binaries)
            try:
                found.start()
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
                shutil.rmtree(found.folder, ignore_errors=True)
                _STARTED.append(f"the PostgreSQL test cluster did not start: {error}")
            else:
                _STARTED.append(found)
    started = _STARTED[0]
    if isinstance(started, str):
        pytest.skip(started)
    return started


def stop_cluster() -> None:
    """Stop the session's cluster, where one was started."""
    if _STARTED and isinstance(_STARTED[0], Cluster):
        _STARTED[0].stop()
    _STARTED.clear()


@dataclass
class Engine:
    """The engine a test runs on (``name``), and for PostgreSQL its database's URL."""

    name: str
    url: str | None = None
    cluster: Cluster | None = None
    monkeypatch: pytest.MonkeyPatch | None = None
    used: list[str] = field(default_factory=list)

    def use(self, data_dir: Path, files: bool = False) -> None:
        """Read the published index of ``data_dir`` (indexed before, a session's shared
        archive) from now on, without changing the data directory (but for the record of the
        published files, with ``files``: see :meth:`Cluster.shared`)."""
        if self.cluster is None or self.monkeypatch is None:
            return
        from archive.index.pg import close_pools

        close_pools()
        self.url = self.cluster.shared(data_dir, files)
        self.used.append(self.url)
        self.monkeypatch.setenv("ARCHIVE_INDEX_URL", self.url)


    def execute(self, statement: str, settings: Settings) -> None:
        """Run a statement on the index the readers read (the published one on PostgreSQL)."""
        if self.url is None:
            from archive.index.db import connect

            db = connect(settings)
            try:
                db.execute(statement)
            finally:
                db.close()
            return
        import psycopg

        from archive.index.pg import SCHEMA

        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute(f"SET search_path TO {SCHEMA}")
            db.execute(statement)

    def where(self, settings: Settings) -> str:
        """What names the index in messages: the file, or the database's URL."""
        return str(settings.index_path) if self.url is None else self.url


def engine(name: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The body of the ``index_engine`` fixture (see the module's text)."""
    if name == "sqlite":
        monkeypatch.delenv("ARCHIVE_INDEX_URL", raising=False)
        yield Engine(name)
        return
    found = cluster()
    url = found.database()
    monkeypatch.setenv("ARCHIVE_INDEX_URL", url)
    chosen = Engine(name, url, found, monkeypatch)
    try:
        yield chosen
    finally:
        from archive.index.pg import close_pools

        close_pools()
        found.recycle(url)
        for shared in chosen.used:
            found.release(shared)

"""The archive's files in PostgreSQL: stateless viewer hosts (issue 23).

Where ``ARCHIVE_INDEX_URL`` names a database, every update of the index publishes the files
that define the archive too (:data:`STORED_FOLDERS`, :data:`STORED_FILES`: the TEI documents,
the registry, the list files, the sources, the edit history, the trained models, the import
record and the declared facets) into the schema :data:`SCHEMA` (its own numbered
:data:`MIGRATIONS`, beside the index's schema, which a full publish of the index replaces):
each file's bytes, SHA-256, size and time, and the store's generation that wrote it. New and
changed files are published before the index that names them, and files that are gone are
dropped after it, so that a published index never names a file the store lacks. On the
building host the files on disk stay the source of truth; the store is their copy.

A viewer host needs only the URL: ``archive --index URL --data DIR serve`` with an empty (or
missing) ``DIR`` makes ``DIR`` a *mirror* of the store (:func:`mirror`): the files are written
there (each hash checked), a marker file :data:`archive.store.MIRROR_FILE` records the store's
generation they are of, and the viewer brings them up to date whenever the store's generation
changes (only the files written since, and those removed). Every path that reads the data
directory's files works unchanged on a mirror; nothing writes to one but :func:`mirror`
(:func:`archive.store.data_lock` refuses). :func:`export_files` gives the files back
(``archive export --all --to DIR``), byte for byte.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from operator import attrgetter
from pathlib import Path
from typing import Any

from ..accounts import SECRET_KEY_FILE, USERS_FILE, Held
from ..config import Settings
from ..errors import ArchiveError
from ..store import MIRROR_FILE, atomic_write, escapes
from ..store import is_mirror as is_mirror  # (archive.index's, for the viewer)
from .pg import error_line, migrate, open_connection, redacted

#: The schema of the stored files (never swapped: a full publish of the index leaves it).
SCHEMA = "archive_store"
#: The data directory's folders (all their files, at any depth) and files that are stored: with
#: the trained models (``models/``: published by the next update after ``archive train``).
#: Not stored as files: the index (derived), the lock and journal; the users and the session
#: key are kept in the schema's own table of accounts (:class:`DatabaseAccounts`), not as
#: files a mirror copies.
STORED_FOLDERS = ("tei", "registry", "lists", "sources", "history", "models")
STORED_FILES = ("imports.json", "facets.toml")
#: The numbered steps that make the schema (recorded in its ``schema_migrations``). Step 1:
#: the files by their path relative to the data directory, and the store's generation. Step 2:
#: the store's ``id``, a random number (a building host's record of its last publish names
#: the store it went to: a database made anew under the same URL is not that store).
MIGRATIONS: list[tuple[int, str]] = [(1, """
CREATE TABLE files (
    path TEXT PRIMARY KEY, data BYTEA NOT NULL, sha256 TEXT NOT NULL, size BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL, generation BIGINT NOT NULL);
CREATE INDEX files_generation ON files (generation);
CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO meta VALUES ('generation', 0);
"""), (2, """
INSERT INTO meta VALUES ('id', floor(random() * 9e18)::BIGINT);
"""), (3, """
CREATE TABLE accounts (name TEXT PRIMARY KEY, data BYTEA NOT NULL);
""")]
#: (Step 3: the accounts' records by the name of their file in a data directory,
#: :data:`archive.accounts.USERS_FILE` and :data:`archive.accounts.SECRET_KEY_FILE`.)


def _ensure_schema(db: Any) -> None:
    """Make the store's schema where it is missing; apply the steps it lacks."""
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (SCHEMA,))
        db.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        db.execute(f"SET LOCAL search_path TO {SCHEMA}, public")
        migrate(db, MIGRATIONS)


def archive_files(data_dir: Path) -> Iterator[tuple[str, Path]]:
    """The stored files of a data directory: (path relative to it, with ``/``; the file), in
    name order. Temporary and hidden files, links leading out of the data directory and what
    is not a regular file are left out."""
    for relative, path, _ in _listing(data_dir):
        yield relative, Path(path)


def _listing(data_dir: Path) -> Iterator[tuple[str, str, os.stat_result]]:
    """:func:`archive_files` (each file's path as a string) with each file's ``stat`` (of its
    target, for a link): one directory scan per folder and one ``stat`` per file."""
    for name in STORED_FILES:
        path = data_dir / name
        if path.is_file() and not path.is_symlink():
            yield name, str(path), path.stat()
    for folder in STORED_FOLDERS:
        yield from _scanned(data_dir, str(data_dir / folder), f"{folder}/")


def _scanned(data_dir: Path, folder: str,
             prefix: str) -> Iterator[tuple[str, str, os.stat_result]]:
    try:
        with os.scandir(folder) as found:
            entries = sorted(found, key=attrgetter("name"))
    except OSError:  # (missing, or unreadable: as os.walk, nothing)
        return
    dirs = []
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        try:
            if entry.is_symlink():  # (a link to a folder, as os.walk: not followed)
                if (entry.is_dir() or not entry.is_file()
                        or escapes(Path(entry.path), data_dir)):
                    continue
            elif entry.is_dir():
                dirs.append(entry)
                continue
            elif not entry.is_file():
                continue
            yield f"{prefix}{name}", entry.path, entry.stat()
        except OSError:  # gone meanwhile
            continue
    for entry in dirs:
        yield from _scanned(data_dir, entry.path, f"{prefix}{entry.name}/")


_NOT_WRITTEN = "the archive's files cannot be written to the database; run `archive reindex` again"


def _failed(error: Exception, url: str, what: str) -> ArchiveError:
    return ArchiveError(f"{what} ({error_line(error, url)})", redacted(url))


# --- publishing (the building host) ------------------------------------------------------------

#: The building host's record of its last publish (see :func:`publish_files`).
PUBLISHED_FILE = ".store-published"


def publish_files(url: str, data_dir: Path) -> list[str]:
    """Write the data directory's new and changed files into the store (one transaction, one
    new generation; by ``COPY``); files whose time alone changed get their new time.

    Nothing changed (the usual case of an update): the data directory's listing (each file's
    name, size and time) is the one recorded at its last publish (:data:`PUBLISHED_FILE`),
    and the store is still at the generation that publish left: one look at the store's
    generation, no file name sent or read.

    :return: the stored paths the data directory no longer has (for :func:`forget_files`,
        once the index that no longer names them is published).
    :raise ArchiveError: the database cannot be reached or written.
    """
    import psycopg

    listing = list(_listing(data_dir))
    digest = hashlib.sha256("".join(
        f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n" for relative, _, stat in listing
    ).encode("utf-8", "surrogateescape")).hexdigest()
    try:
        record = json.loads((data_dir / PUBLISHED_FILE).read_bytes())
    except (OSError, ValueError):
        record = None
    try:
        with closing(open_connection(url)) as db:
            _ensure_schema(db)
            with db.transaction():
                db.execute(f"SET LOCAL search_path TO {SCHEMA}, public")
                # one publisher at a time (builds on several hosts)
                db.execute("SELECT pg_advisory_xact_lock(hashtext('archive-store-publish'))")
                meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
                state = {"store": redacted(url), "id": meta["id"], "listing": digest}
                if record == {**state, "generation": meta["generation"]}:
                    return []
                gone = _publish_changes(db, listing)
                generation = int(db.execute(
                    "SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
        if not gone:  # (else forget_files makes a new generation: the next publish compares)
            atomic_write(data_dir / PUBLISHED_FILE, json.dumps(
                {**state, "generation": generation}).encode("utf-8"))
        return gone
    except psycopg.Error as error:
        raise _failed(error, url, _NOT_WRITTEN) from None


def _publish_changes(db: Any, listing: list[tuple[str, str, os.stat_result]]) -> list[str]:
    """The files of ``listing`` the store lacks or holds otherwise, copied into it; the stored
    paths ``listing`` lacks."""
    there = {path: (sha, size, mtime) for path, sha, size, mtime in db.execute(
        "SELECT path, sha256, size, mtime_ns FROM files")}
    new: list[tuple[str, str]] = []
    changed: list[str] = []
    for relative, path, stat in listing:
        old = there.pop(relative, None)
        if old is None:
            new.append((relative, path))
        elif old[1:] != (stat.st_size, stat.st_mtime_ns):
            data = Path(path).read_bytes()
            if old[0] == hashlib.sha256(data).hexdigest():  # touched, not changed
                db.execute("UPDATE files SET mtime_ns = %s WHERE path = %s",
                           (stat.st_mtime_ns, relative))
            else:
                changed.append(relative)
                new.append((relative, path))
    if new:
        generation = _next_generation(db)
        if changed:
            db.execute("DELETE FROM files WHERE path = ANY(%s)", (changed,))
        with db.cursor().copy("COPY files (path, data, sha256, size, mtime_ns, generation)"
                              " FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["text", "bytea", "text", "int8", "int8", "int8"])
            for relative, path in new:
                mtime = os.stat(path).st_mtime_ns  # (the time of the bytes read after it)
                data = Path(path).read_bytes()
                copy.write_row((relative, data, hashlib.sha256(data).hexdigest(), len(data),
                                mtime, generation))
    return sorted(there)


def _next_generation(db: Any) -> int:
    row = db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'"
                     " RETURNING value").fetchone()
    return int(row[0])


def forget_files(url: str, data_dir: Path, paths: list[str]) -> None:
    """Drop from the store the ``paths`` the data directory still lacks (one new generation).

    :raise ArchiveError: the database cannot be reached or written.
    """
    import psycopg

    gone = [path for path in paths if not (data_dir / path).is_file()]
    if not gone:
        return
    try:
        with closing(open_connection(url)) as db, db.transaction():
            db.execute(f"SET LOCAL search_path TO {SCHEMA}, public")
            db.execute("SELECT pg_advisory_xact_lock(hashtext('archive-store-publish'))")
            db.execute("DELETE FROM files WHERE path = ANY(%s)", (gone,))
            _next_generation(db)
    except psycopg.Error as error:
        raise _failed(error, url, _NOT_WRITTEN) from None


# --- reading (viewer hosts, export) ------------------------------------------------------------

def _read_url(settings: Settings) -> str:
    url = settings.index_read_url or settings.index_url
    if not url:
        raise ArchiveError("the archive's files are stored in PostgreSQL only with an index "
                           "database: give --index URL (or ARCHIVE_INDEX_URL)")
    return url


@contextmanager
def _snapshot(url: str) -> Iterator[Any]:
    """A connection reading one snapshot of the store (its schema made where missing on a
    primary; on a replica, the primary's)."""
    import psycopg

    try:
        with closing(open_connection(url)) as db:
            standby = db.execute("SELECT pg_is_in_recovery()").fetchone()
            if not (standby and standby[0]):
                _ensure_schema(db)
            with db.transaction():
                db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                db.execute(f"SET LOCAL search_path TO {SCHEMA}, public")
                yield db
    except psycopg.Error as error:
        raise _failed(error, url, "the archive's files cannot be read from the database"
                      ) from None


def _checked(path: str, data: bytes, digest: str, url: str) -> bytes:
    if hashlib.sha256(data).hexdigest() != digest:
        raise ArchiveError(f"the stored file {path} does not match its SHA-256 (the store is "
                           "damaged: publish it again with `archive reindex` on the building "
                           "host)", redacted(url))
    return data


def _target(folder: Path, path: str) -> Path:
    """Where stored ``path`` goes in ``folder``; never outside it (nor a stored name that is
    not one of the archive's)."""
    target = folder / path
    top = path.split("/", 1)[0]
    if (path.startswith("/") or ".." in path.split("/") or escapes(target, folder)
            or not (path in STORED_FILES or (top in STORED_FOLDERS and "/" in path))):
        raise ArchiveError(f"the store holds a file named {path!r}, outside the archive's "
                           "folders", str(folder))
    return target


def export_files(settings: Settings, folder: Path) -> int:
    """Write the archive's files into ``folder`` (missing or empty), each byte-identical to its
    original with its time: from the store where ``settings.index_url`` names a database,
    else from the data directory.

    :return: how many files were written.
    :raise ArchiveError: ``folder`` holds files; a stored file fails its hash check; the
        database cannot be read.
    """
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ArchiveError("the folder to export the archive's files to must be new or empty",
                           str(folder))
    count = 0
    if not settings.index_url:
        for relative, path in archive_files(settings.data_dir):
            _write(_target(folder, relative), path.read_bytes(), path.stat().st_mtime_ns)
            count += 1
        os.sync()
        return count
    url = _read_url(settings)
    with _snapshot(url) as db:
        for path, data, digest, mtime in _streamed(
                db, "SELECT path, data, sha256, mtime_ns FROM files ORDER BY path"):
            _write(_target(folder, path), _checked(path, bytes(data), digest, url), mtime)
            count += 1
    os.sync()  # the files written, on disk
    return count


def _streamed(db: Any, statement: str, params: tuple[Any, ...] = ()) -> Iterator[Any]:
    """The rows of ``statement`` a few at a time (a server-side cursor of the snapshot's
    transaction): the files' bytes are never all in memory at once."""
    with db.cursor(name="archive_store_files") as cursor:
        cursor.itersize = 100
        cursor.execute(statement, params)
        yield from cursor


def _write(target: Path, data: bytes, mtime_ns: int) -> None:
    """Put ``data`` at ``target`` whole (a new file renamed over it: a reader sees the old file
    or the new one), with its time. Not synced to disk here, file by file (ten thousand
    fsyncs cost a minute and a half): a mirror checks each file's size and time at every
    refresh and writes again what a crash lost; an export syncs once, at its end."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                     dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.utime(temporary, ns=(mtime_ns, mtime_ns))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def store_generation(settings: Settings) -> int | None:
    """The store's generation, as this process's index reader sees it (None: no store)."""
    from . import pg

    db = pg.reader(_read_url(settings))
    try:
        row = db.execute(f"SELECT value FROM {SCHEMA}.meta WHERE key = 'generation'"
                         ).fetchone()
    except Exception:  # noqa: BLE001 - no such schema yet (nothing was ever published)
        if db.in_transaction:
            db.execute("ROLLBACK")
        return None
    return int(row[0]) if row else None


def _mirrored(data_dir: Path, url: str) -> int | None:
    """The generation of the store at ``url`` the mirror holds (None: unknown, or a copy of
    another database's store)."""
    try:
        marker = json.loads((data_dir / MIRROR_FILE).read_bytes())
        return int(marker["generation"]) if marker["store"] == redacted(url) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


_NOTHING_STORED = ("the database holds none of the archive's files: publish them from the "
                   "building host (`archive reindex` there)")
#: Per data directory: the generation this process last saw mirrored there.
_SEEN: dict[str, int] = {}
_SEEN_LOCK = threading.Lock()


def mirror(settings: Settings, *, start: bool = False) -> bool:
    """Bring the mirror ``settings.data_dir`` up to date with the store (see the module's
    text): the files written since the generation it holds, and those removed; a viewer calls
    it before each request (a look at the store's generation, in this thread's pooled
    connection, unless it changed).

    :param start: make the data directory a mirror when it holds none of the archive's files
        and no index file, and the store holds files (the viewer's start); else only a mirror
        already is one.
    :return: whether the data directory is a mirror (else it is left alone).
    :raise ArchiveError: the database cannot be read; ``start``, an empty data directory, and
        the database holds an index but none of its files; a stored file fails its hash
        check.
    """
    data_dir = settings.data_dir
    if not settings.index_url:
        return False
    if not is_mirror(data_dir) and (not start or settings.index_path.exists()
                                    or next(archive_files(data_dir), None) is not None):
        return False  # a building host's data directory (or a new one: see below)
    url = _read_url(settings)
    current = store_generation(settings)  # (the database reached first: a clear error)
    if start and not current:  # nothing stored: an index without its files is no archive
        from . import pg

        if pg.reader(url).execute("SELECT value FROM meta WHERE key = 'generation'"
                                  ).fetchone():
            raise ArchiveError(_NOTHING_STORED, redacted(url))
        return False
    key = str(data_dir.absolute())
    with _SEEN_LOCK:
        if not start and current is not None and _SEEN.get(key) == current:
            return True
    data_dir.mkdir(parents=True, exist_ok=True)
    with _SEEN_LOCK, _mirror_lock(data_dir):  # one refresher per directory, on the host
        generation = _refresh(settings, url, start)
        _SEEN[key] = generation
    return True


@contextmanager
def _mirror_lock(data_dir: Path) -> Iterator[None]:
    fd = os.open(data_dir / f"{MIRROR_FILE}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _refresh(settings: Settings, url: str, start: bool) -> int:
    """Write what changed in the store since the mirror's generation; the new generation."""
    data_dir = settings.data_dir
    have = _mirrored(data_dir, url)
    with _snapshot(url) as db:
        generation = int(db.execute("SELECT value FROM meta WHERE key = 'generation'"
                                    ).fetchone()[0])
        if generation == have and not start:  # (at a start, every file is looked at)
            return generation
        listing = {path: (size, mtime) for path, size, mtime in db.execute(
            "SELECT path, size, mtime_ns FROM files")}
        if start and not listing:
            raise ArchiveError(_NOTHING_STORED, redacted(url))
        for relative, path in list(archive_files(data_dir)):  # removed from the store
            if relative not in listing:
                path.unlink()
        since = -1 if have is None else have
        for path, data, digest, mtime in _streamed(
                db, "SELECT path, data, sha256, mtime_ns FROM files WHERE generation > %s",
                (since,)):
            _write(_target(data_dir, path), _checked(path, bytes(data), digest, url), mtime)
        for path, (size, mtime) in listing.items():  # a file lost or changed on this host
            target = _target(data_dir, path)
            try:
                stat = target.stat()
                if (stat.st_size, stat.st_mtime_ns) == (size, mtime):
                    continue
            except OSError:
                pass
            data, digest = db.execute("SELECT data, sha256 FROM files WHERE path = %s",
                                      (path,)).fetchone()
            _write(target, _checked(path, bytes(data), digest, url), mtime)
    atomic_write(data_dir / MIRROR_FILE, json.dumps(
        {"store": redacted(url), "generation": generation}).encode("utf-8"))
    return generation


# --- accounts (every host) ---------------------------------------------------------------------

#: The databases whose store schema this process has made sure of (see :class:`DatabaseAccounts`).
_READY: set[str] = set()
_READY_LOCK = threading.Lock()


class DatabaseAccounts:
    """The accounts of an archive whose index is in PostgreSQL, kept in the store's table
    ``accounts`` (step 3 of :data:`MIGRATIONS`), so that a viewer host given only the URL logs
    in the same users, with the same passwords and sessions, as every other host (an
    :class:`archive.accounts.AccountStorage`).

    The record of users is the bytes ``users.json`` would hold; it is changed in one
    transaction holding a lock of its own (:meth:`changing_users`), so two hosts adding users at
    once lose nothing. Always on the primary (``index_url``): a replica may lag behind a new
    password or an ended session. Until the database holds a record, a data directory's own
    ``users.json`` and ``.secret_key`` (those of a single-machine archive given a database)
    are read in their place, and the first change (the first start) keeps them in the database.
    """

    def __init__(self, settings: Settings) -> None:
        if not settings.index_url:
            raise ArchiveError("accounts are kept in a database only with an index database")
        self.url = settings.index_url
        self.data_dir = settings.data_dir
        self.where = f"{redacted(self.url)} ({SCHEMA}.accounts)"

    def _local(self, name: str) -> bytes | None:
        """The data directory's own file of the record ``name`` (None: none)."""
        try:
            return (self.data_dir / name).read_bytes()
        except OSError:
            return None

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        import psycopg

        try:
            with closing(open_connection(self.url)) as db:
                with _READY_LOCK:
                    if self.url not in _READY:
                        _ensure_schema(db)
                        _READY.add(self.url)
                yield db
        except psycopg.Error as error:
            raise _failed(error, self.url, "the accounts cannot be read or written in the "
                          "database") from None

    def read_users(self) -> bytes | None:
        """(The viewer reads them at every request of a logged-in user: through this thread's
        pooled connection to the primary, unless it is inside a transaction, whose snapshot
        may be older than a new password.)"""
        import psycopg

        from . import pg

        if self.url in _READY and not (db := pg.reader(self.url)).in_transaction:
            try:
                data = _account_record(db.raw, USERS_FILE)
            except psycopg.Error as error:
                raise _failed(error, self.url, "the accounts cannot be read from the database"
                              ) from None
        else:
            with self._connection() as raw:
                data = _account_record(raw, USERS_FILE)
        return data if data is not None else self._local(USERS_FILE)

    @contextmanager
    def changing_users(self) -> Iterator[Held]:
        with self._connection() as db, db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(hashtext('archive-store-accounts'))")
            before = _account_record(db, USERS_FILE)
            held = Held(before if before is not None else self._local(USERS_FILE))
            yield held
            if held.data is not None and held.data != before:
                db.execute(f"INSERT INTO {SCHEMA}.accounts VALUES (%s, %s) ON CONFLICT (name)"
                           " DO UPDATE SET data = EXCLUDED.data", (USERS_FILE, held.data))

    def secret_key(self, new: bytes) -> bytes:
        local = self._local(SECRET_KEY_FILE)
        with self._connection() as db:
            db.execute(f"INSERT INTO {SCHEMA}.accounts VALUES (%s, %s) ON CONFLICT DO NOTHING",
                       (SECRET_KEY_FILE, local if local and len(local) >= len(new) else new))
            data = _account_record(db, SECRET_KEY_FILE)
        assert data is not None  # inserted above if it was not there
        return data


def _account_record(db: Any, name: str) -> bytes | None:
    """The accounts' record ``name`` in the database (None: not there)."""
    row = db.execute(f"SELECT data FROM {SCHEMA}.accounts WHERE name = %s", (name,)).fetchone()
    return bytes(row[0]) if row else None


def account_storage(settings: Settings) -> DatabaseAccounts:
    """The accounts of ``settings``' archive in its index database (for
    :func:`archive.accounts.use_database`)."""
    return DatabaseAccounts(settings)

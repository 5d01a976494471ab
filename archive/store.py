"""The store: one TEI file per document in the data directory, written atomically.

Every write goes to a temporary file in the same directory, is flushed and fsynced, then
renamed over the target, so an interrupted run leaves either the old file or the new one.
A writer that changes several files at once (``archive import``) first records what it will
change in a journal (:func:`begin_journal`); whoever next takes the data lock rolls an
unfinished one back (:func:`recover`).

Document ids follow one rule (:func:`valid_id`), and every path inside the data directory or
an export folder is made by :func:`member_path`, which refuses to leave its folder.
"""

from __future__ import annotations

import base64
import errno
import fcntl
import json
import os
import stat
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import ArchiveError, LockBusy

#: Longest document id, in UTF-8 bytes: with ``.xml``, a source's extension or the temporary
#: file's ``.<name>.XXXXXXXX.tmp`` around it, a file name stays far below NAME_MAX (255).
MAX_ID_BYTES = 120
#: Characters an id may hold besides letters, marks and digits of any script.
ID_PUNCTUATION = "_.-"
#: The journal of an unfinished multi-file write, in the data directory.
JOURNAL_FILE = ".journal.json"
#: Folder of the data directory where imported list files are kept as they are.
LISTS_DIR = "lists"
#: The audit log of editorial changes (archive.curation.history) and its saved file versions.
HISTORY_DIR = "history"
#: Folders of the data directory whose files the archive writes.
DATA_FOLDERS = ("tei", "registry", "sources", LISTS_DIR, HISTORY_DIR, f"{HISTORY_DIR}/blobs")


def is_id_char(char: str) -> bool:
    """Whether ``char`` may stand in a document id: a letter, mark or digit, or ``_ . -``."""
    return char in ID_PUNCTUATION or unicodedata.category(char)[0] in "LMN"


def valid_id(value: str) -> bool:
    """Whether ``value`` is a usable document id.

    Letters, marks and digits of any script and ``_ . -``; it starts with a letter, digit or
    ``_``; it is NFC-normalised (``Café`` has one spelling) and at most :data:`MAX_ID_BYTES`
    bytes in UTF-8. Such an id is one path component that never starts with a dot.
    """
    return (bool(value) and (value[0] == "_" or unicodedata.category(value[0])[0] in "LN")
            and all(is_id_char(char) for char in value)
            and unicodedata.is_normalized("NFC", value)
            and len(value.encode("utf-8")) <= MAX_ID_BYTES)


def check_id(value: str, where: str | None = None, what: str = "document id") -> str:
    """``value`` when it is a :func:`valid_id`.

    :raise ArchiveError: one line saying why it is not.
    """
    if not valid_id(value):
        shown = value if len(value) <= 60 else f"{value[:57]}..."
        raise ArchiveError(f"unusable {what} {shown!r}: an id holds only letters, digits, "
                           f"'_', '.' and '-', starts with a letter, digit or '_', and has at "
                           f"most {MAX_ID_BYTES} bytes", where)
    return value


def member_path(folder: Path, name: str) -> Path:
    """The file ``name`` directly inside ``folder``: the one way paths of documents, registry
    and source files, and exported files are made.

    :raise ArchiveError: ``name`` is not a :func:`file_name`, or the path would lead out of
        ``folder`` through a symbolic link.
    """
    path = folder / file_name(name, str(folder))
    if escapes(path, folder):
        raise ArchiveError("a symbolic link leading out of its folder: not followed", str(path))
    return path


def file_name(name: str, where: str | None = None) -> str:
    """``name`` when it is one plain file name (also a zip entry's last part).

    :raise ArchiveError: empty, a separator, a leading dot (``..`` too), a NUL, or longer
        than NAME_MAX (255 bytes).
    """
    if (not name or "/" in name or "\\" in name or "\0" in name or name.startswith(".")
            or len(name.encode("utf-8", "surrogateescape")) > 255):
        raise ArchiveError(f"not a plain file name: {name[:80]!r}", where)
    return name


def escapes(path: Path, root: Path) -> bool:
    """Whether ``path`` is a symbolic link whose target lies outside ``root``."""
    if not path.is_symlink():
        return False
    try:
        target = path.resolve(strict=False)
        return not target.is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a loop of links
        return True


def atomic_write(path: str | os.PathLike[str], data: bytes, mode: int | None = None) -> bool:
    """Write ``data`` to ``path`` atomically; skip the write when the file already holds it.

    :param mode: the new file's permission bits (``0o600`` for a secret: it never exists with
        wider ones); None keeps the old file's, or the usual ``0o666`` less the umask.
    :return: True when the file was (re)written, False when it was already identical.
    """
    target = Path(path)
    try:
        if target.read_bytes() == data and (
                mode is None or target.stat().st_mode & 0o777 == mode):
            return False
    except OSError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, _file_mode(target) if mode is None else mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        if error.filename is None:  # a write to the handle names no file: name the target
            raise OSError(error.errno, error.strerror, str(target)) from None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return True


def _file_mode(target: Path) -> int:
    # mkstemp creates 0600 files; keep the old file's mode, or the usual 0666 less the umask.
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(directory: Path) -> None:
    # The rename itself is durable only once the directory entry is on disk.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def tei_path(tei_dir: Path, doc_id: str) -> Path:
    """The file of document ``doc_id`` in ``tei_dir``.

    :raise ArchiveError: ``doc_id`` is not a :func:`valid_id`.
    """
    return member_path(tei_dir, f"{check_id(doc_id)}.xml")


def iter_tei_files(tei_dir: Path) -> Iterator[Path]:
    """The TEI files of the data directory, in name order.

    Temporary files are left out, and so are links leading out of the data directory and
    anything that is not a regular file (``archive check`` reports those).
    """
    if not tei_dir.is_dir():
        return iter(())
    return iter(sorted(p for p in tei_dir.glob("*.xml")
                       if not p.name.startswith(".") and not escapes(p, tei_dir.parent)
                       and _regular(p)))


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def iter_outside_links(data_dir: Path) -> Iterator[Path]:
    """Files of ``tei/``, ``registry/`` and ``sources/`` that are symbolic links leading out
    of the data directory (never followed)."""
    for folder in DATA_FOLDERS:
        directory = data_dir / folder
        if directory.is_dir():
            yield from (path for path in sorted(directory.iterdir()) if escapes(path, data_dir))


#: The lock file in the data directory; it also records its holder (see :func:`data_lock`).
LOCK_FILE = ".lock"
#: The marker of a data directory that is a viewer host's copy of the files stored in
#: PostgreSQL (``archive.index`` writes it): written by the store alone, never by a writer.
MIRROR_FILE = ".store-mirror"



def is_mirror(data_dir: Path) -> bool:
    """Whether ``data_dir`` is a viewer host's copy of the archive stored in PostgreSQL
    (:data:`MIRROR_FILE`)."""
    return (data_dir / MIRROR_FILE).is_file()

@dataclass(frozen=True)
class LockHolder:
    """Who holds (or held) the data directory's lock, as its lock file records it."""

    pid: int
    command: str
    since: str  # local time, HH:MM:SS

    def __str__(self) -> str:
        return f"pid {self.pid}: {self.command}, since {self.since}"


#: The locks this process holds: lock file → (fd, depth, thread id).
_HELD: dict[str, list[int]] = {}
_HELD_GUARD = threading.Lock()


@contextmanager
def data_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data directory's write lock: one writer at a time.

    A POSIX record lock (``lockf``): the kernel drops it when the process ends, however it
    ends, and child processes (the indexing workers) do not inherit it. Taken again by the same
    thread, it is held until the outermost block ends. The lock file records the holder (pid,
    command, start time) while it is held; a record left by a holder that ended without
    releasing the lock (killed) is taken over, with one line on stderr, and what a dead writer
    left half done is rolled back first (:func:`recover`, also one line).

    :raise LockBusy: another process (or another thread of this one) is writing to the
        same data directory.
    :raise ArchiveError: the data directory cannot be written, or is a viewer host's copy of
        the archive stored in PostgreSQL (:data:`MIRROR_FILE`).
    """
    if is_mirror(data_dir):
        raise ArchiveError("this data directory is a viewer host's copy of the archive stored "
                           "in PostgreSQL: change the archive on the building host (its own "
                           "data directory), whose updates reach this copy", str(data_dir))
    path = data_dir / LOCK_FILE
    key = f"{os.getpid()}:{os.path.abspath(path)}"
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is not None:
            if held[2] != threading.get_ident():
                raise LockBusy("another thread of this process is writing to this data "
                                   "directory", str(data_dir))
            held[1] += 1
    if held is not None:
        try:
            yield
        finally:
            with _HELD_GUARD:
                held[1] -= 1
        return
    fd = _open_lock_file(data_dir, path)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            holder = _read_holder(fd)
            who = f" ({holder})" if holder else ""
            raise LockBusy(f"another archive process{who} is writing to {data_dir}"
                               ) from None
        dead = _read_holder(fd)
        if dead is not None:
            print(f"archive: taking over the lock of {dead.command} (pid {dead.pid}, since "
                  f"{dead.since}), which ended without releasing it", file=sys.stderr)
        _write_holder(fd, LockHolder(os.getpid(), _command(), time.strftime("%H:%M:%S")))
        with _HELD_GUARD:
            _HELD[key] = [fd, 1, threading.get_ident()]
        try:
            rolled_back = recover(data_dir)  # what a dead writer left half done
            if rolled_back:
                print(f"archive: {rolled_back}", file=sys.stderr)
            yield
        finally:
            with _HELD_GUARD:
                del _HELD[key]
            os.ftruncate(fd, 0)  # released cleanly: no holder to take over from
    finally:
        os.close(fd)  # (closing any descriptor of the file would drop the lock: this is ours)


def _open_lock_file(data_dir: Path, path: Path) -> int:
    """:raise ArchiveError: the data directory cannot be written (read-only media, rights)."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as error:
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise ArchiveError(f"the data directory cannot be written ({error.strerror}): "
                               "a read-only archive can be read, queried, exported and "
                               "served, not changed", str(data_dir)) from None
        raise ArchiveError(f"cannot open the lock file ({error.strerror})", str(path)) from None


def _read_holder(fd: int) -> LockHolder | None:
    try:
        record = json.loads(os.pread(fd, 4096, 0) or b"null")
        return LockHolder(int(record["pid"]), str(record["command"]), str(record["since"]))
    except (ValueError, TypeError, KeyError, OSError):
        return None  # empty (released cleanly), or not a record


def _write_holder(fd: int, holder: LockHolder) -> None:
    record = json.dumps({"pid": holder.pid, "command": holder.command, "since": holder.since})
    os.ftruncate(fd, 0)
    os.pwrite(fd, record.encode() + b"\n", 0)


def _command() -> str:
    """This process's archive command, as the holder's record names it (``archive build``)."""
    words = []
    arguments = iter(sys.argv[1:])
    for argument in arguments:
        if argument == "--data":
            next(arguments, None)
        elif not argument.startswith("-"):
            words.append(argument)
    return " ".join(["archive", *words[:2 if words[:1] in (["registry"], ["review"]) else 1]])


def iter_leftovers(data_dir: Path) -> Iterator[Path]:
    """Temporary files of interrupted writes in the data directory and its folders."""
    for directory in (data_dir, *(data_dir / folder for folder in DATA_FOLDERS)):
        if directory.is_dir():
            yield from sorted(directory.glob(".*.tmp"))


# --- the journal of a multi-file write --------------------------------------------------------

def begin_journal(data_dir: Path, writer: str, files: Iterable[Path],
                  folders: Iterable[Path] = ()) -> None:
    """Record, durably, what a writer is about to change (call it holding the data lock).

    :param files: files that may be written or created: their bytes now (or their absence).
    :param folders: folders whose ``*.xml`` files may be written, created or removed: each
        one's files now.
    """
    def relative(path: Path) -> str:
        return path.relative_to(data_dir).as_posix()

    def old(path: Path) -> str | None:
        return base64.b64encode(path.read_bytes()).decode("ascii") if path.is_file() else None

    record = {
        "writer": writer, "pid": os.getpid(),
        "files": {relative(path): old(path) for path in files},
        "folders": {relative(folder): {p.name: old(p) for p in sorted(folder.glob("*.xml"))
                                       if not p.name.startswith(".")}
                    for folder in folders},
    }
    atomic_write(data_dir / JOURNAL_FILE, json.dumps(record).encode("ascii"))


def end_journal(data_dir: Path) -> None:
    """The write the journal recorded is complete: forget the journal."""
    (data_dir / JOURNAL_FILE).unlink(missing_ok=True)
    _fsync_dir(data_dir)


def unfinished_write(data_dir: Path) -> str | None:
    """The writer (``"import"``, ...) that left an unfinished journal, or None."""
    try:
        return str(json.loads((data_dir / JOURNAL_FILE).read_bytes())["writer"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"


def recover(data_dir: Path) -> str | None:
    """Roll back what a writer that died (killed, disk full) left half done, and remove the
    temporary files of interrupted writes. Call it holding the data lock.

    :return: a message saying what was rolled back, or None when there was nothing to do.
    :raise ArchiveError: the journal is unreadable, or names a file outside the data directory.
    """
    journal = data_dir / JOURNAL_FILE
    for leftover in iter_leftovers(data_dir):
        leftover.unlink(missing_ok=True)
    if not journal.is_file():
        return None
    try:
        record = json.loads(journal.read_bytes())
        files: dict[str, str | None] = record["files"]
        folders: dict[str, dict[str, str | None]] = record["folders"]
        writer = str(record["writer"])
    except (ValueError, KeyError, TypeError) as error:
        raise ArchiveError(f"unreadable journal of an interrupted write ({error}): restore "
                           "the data directory from a backup", str(journal)) from None
    restore: dict[Path, str | None] = {_journal_path(data_dir, name): data
                                       for name, data in files.items()}
    for name, snapshot in folders.items():
        folder = _journal_path(data_dir, name)
        for path in folder.glob("*.xml") if folder.is_dir() else ():
            if not path.name.startswith(".") and path.name not in snapshot:
                restore[path] = None
        restore.update({member_path(folder, file): data for file, data in snapshot.items()})
    # removals first: they free the room the restored files need
    for path, data in sorted(restore.items(), key=lambda item: item[1] is not None):
        if data is None:
            path.unlink(missing_ok=True)
        else:
            atomic_write(path, base64.b64decode(data))
    for path in {path.parent for path in restore}:
        _fsync_dir(path)
    end_journal(data_dir)
    return (f"rolled back an interrupted {writer}: {len(restore)} file(s) restored to what "
            f"they were before it")


def _journal_path(data_dir: Path, relative: str) -> Path:
    parts = relative.split("/")
    path = data_dir
    for part in parts:
        path = member_path(path, part)
    return path

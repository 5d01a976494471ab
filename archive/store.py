"""The store: one TEI file per document in the data directory, written atomically.

Every write goes to a temporary file in the same directory, is flushed and fsynced, then
renamed over the target, so an interrupted run leaves either the old file or the new one.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import ArchiveError


def atomic_write(path: str | os.PathLike[str], data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically; skip the write when the file already holds it.

    :return: True when the file was (re)written, False when it was already identical.
    """
    target = Path(path)
    try:
        if target.read_bytes() == data:
            return False
    except OSError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, _file_mode(target))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
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
    """The file of document ``doc_id``; ids never contain path separators (see readers)."""
    if not doc_id or "/" in doc_id or "\\" in doc_id or doc_id.startswith("."):
        raise ValueError(f"not a document id: {doc_id!r}")
    return tei_dir / f"{doc_id}.xml"


def iter_tei_files(tei_dir: Path) -> Iterator[Path]:
    """The TEI files of the data directory, in name order (temporary files left out)."""
    if not tei_dir.is_dir():
        return iter(())
    return iter(sorted(p for p in tei_dir.glob("*.xml") if not p.name.startswith(".")))


#: The lock file in the data directory; it also records its holder (see :func:`data_lock`).
LOCK_FILE = ".lock"


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
def data_lock(data_dir: Path) -> Iterator[LockHolder | None]:
    """Hold the data directory's write lock: one writer at a time.

    A POSIX record lock (``lockf``): the kernel drops it when the process ends, however it
    ends, and child processes (the indexing workers) do not inherit it. Taken again by the same
    thread, it is held until the outermost block ends. The lock file records the holder (pid,
    command, start time) while it is held; a record left by a holder that ended without
    releasing the lock (killed) is taken over, with one line on stderr.

    :return: (as the block's value) the dead holder whose lock was taken over, or None.
    :raise ArchiveError: another process (or another thread of this one) is writing to the
        same data directory, or the data directory cannot be written.
    """
    path = data_dir / LOCK_FILE
    key = f"{os.getpid()}:{os.path.abspath(path)}"
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is not None:
            if held[2] != threading.get_ident():
                raise ArchiveError("another thread of this process is writing to this data "
                                   "directory", str(data_dir))
            held[1] += 1
    if held is not None:
        try:
            yield None
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
            raise ArchiveError(f"another archive process{who} is writing to {data_dir}"
                               ) from None
        dead = _read_holder(fd)
        if dead is not None:
            print(f"archive: taking over the lock of {dead.command} (pid {dead.pid}, since "
                  f"{dead.since}), which ended without releasing it", file=sys.stderr)
        _write_holder(fd, LockHolder(os.getpid(), _command(), time.strftime("%H:%M:%S")))
        with _HELD_GUARD:
            _HELD[key] = [fd, 1, threading.get_ident()]
        try:
            yield dead
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
    """Temporary files of interrupted writes anywhere in the data directory's folders."""
    for folder in ("tei", "registry", "sources"):
        directory = data_dir / folder
        if directory.is_dir():
            yield from sorted(directory.glob(".*.tmp"))

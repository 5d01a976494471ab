"""The store: one TEI file per document in the data directory, written atomically.

Every write goes to a temporary file in the same directory, is flushed and fsynced, then
renamed over the target, so an interrupted run leaves either the old file or the new one.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def data_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data directory's write lock: one writer at a time.

    :raise ArchiveError: another process is writing to the same data directory.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(data_dir / ".lock", "a+b")  # noqa: SIM115 - held for the block's duration
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ArchiveError("another archive process is writing to this data directory",
                               str(data_dir)) from None
        yield
    finally:
        handle.close()


def iter_leftovers(data_dir: Path) -> Iterator[Path]:
    """Temporary files of interrupted writes anywhere in the data directory's folders."""
    for folder in ("tei", "registry", "sources"):
        directory = data_dir / folder
        if directory.is_dir():
            yield from sorted(directory.glob(".*.tmp"))

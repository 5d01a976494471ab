"""The audit log of editorial changes, their undo, and the ETag check against lost updates.

Every change an editor makes (a tag edit, a registry edit, a review decision) is one record,
``DATA/history/NNNNNN.json``: who, when, what (a short description), and each file it changed
with the SHA-256 of its bytes before and after. The bytes themselves are kept once each, by
their hash, in ``DATA/history/blobs/``, so that :func:`undo` can restore a change exactly.

:func:`record` is the one way such a change is written: under the data directory's lock, the
files it may touch (and the record itself) are entered in the store's journal before the first
one is written, so a writer killed half way is rolled back by whoever next takes the lock, and
a record exists exactly when its change was made in full. The index is then brought up to date.

An editor's view of a file is its ETag (:func:`etag`, the SHA-256 of its bytes): a change made
against an ETag the file no longer has is refused with a :class:`ConflictError` that carries
the changes made since (:func:`check_etag`), never written over them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ..config import Settings
from ..errors import ArchiveError, ConflictError
from ..index import update_index
from ..store import HISTORY_DIR, atomic_write, begin_journal, data_lock, end_journal, member_path

_BLOBS = "blobs"
_DIGITS = 6


def etag(data: bytes | None) -> str | None:
    """The ETag of a file's bytes: their SHA-256, hex (None for a file that does not exist)."""
    return None if data is None else hashlib.sha256(data).hexdigest()


def file_etag(path: Path) -> str | None:
    """The ETag of the file at ``path`` now (None when there is none)."""
    return etag(_read(path))


@dataclass(frozen=True)
class FileChange:
    """One file a change wrote: its path in the data directory and its ETag before and after
    (None: it did not exist)."""

    path: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Change:
    """One logged change.

    :param id: its number, 1, 2, ... in the order the changes were made.
    :param who: the editor's name.
    :param when: UTC time, ``YYYY-MM-DDTHH:MM:SSZ``.
    :param what: a short human description.
    :param files: the files it changed.
    :param undoes: the change it undid, for an undo.
    """

    id: int
    who: str
    when: str
    what: str
    files: tuple[FileChange, ...]
    undoes: int | None = None

    def to_json(self) -> dict[str, object]:
        """The record as JSON data (what ``archive log --format json`` prints)."""
        return {**asdict(self), "files": [asdict(file) for file in self.files]}

    def __str__(self) -> str:
        return f"change {self.id} by {self.who} at {self.when}: {self.what}"


def history_dir(settings: Settings) -> Path:
    """``DATA/history``."""
    return settings.data_dir / HISTORY_DIR


def _record_path(settings: Settings, change_id: int) -> Path:
    return member_path(history_dir(settings), f"{change_id:0{_DIGITS}d}.json")


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _load(path: Path) -> Change:
    try:
        data = json.loads(path.read_bytes())
        return Change(int(data["id"]), str(data["who"]), str(data["when"]), str(data["what"]),
                      tuple(FileChange(str(f["path"]), f["before"], f["after"])
                            for f in data["files"]),
                      None if data.get("undoes") is None else int(data["undoes"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ArchiveError(f"unreadable change record ({error})", str(path)) from None


def _record_ids(settings: Settings) -> list[int]:
    folder = history_dir(settings)
    if not folder.is_dir():
        return []
    return sorted(int(path.stem) for path in folder.glob("*.json")
                  if path.stem.isdigit() and len(path.stem) == _DIGITS)


def changes(settings: Settings) -> Iterator[Change]:
    """Every logged change, oldest first."""
    for change_id in _record_ids(settings):
        yield _load(_record_path(settings, change_id))


def latest(settings: Settings, limit: int | None = None) -> list[Change]:
    """The logged changes, latest first (at most ``limit``)."""
    ids = _record_ids(settings)[::-1][:limit]
    return [_load(_record_path(settings, change_id)) for change_id in ids]


def get_change(settings: Settings, change_id: int) -> Change:
    """:raise ArchiveError: there is no change ``change_id``."""
    path = _record_path(settings, change_id)
    if change_id < 1 or not path.is_file():
        raise ArchiveError(f"no change {change_id} in the log", str(history_dir(settings)))
    return _load(path)


def relative(settings: Settings, path: Path) -> str:
    """``path`` as the log names it: relative to the data directory, with ``/``."""
    return path.relative_to(settings.data_dir).as_posix()


def changes_since(settings: Settings, path: Path, seen: str | None) -> list[Change]:
    """The logged changes to ``path`` made after its bytes had ETag ``seen``, oldest first.

    When the log does not know ``seen`` (the file was changed by a rebuild, say), the latest
    logged change to the file is given, if any.
    """
    name = relative(settings, path)
    touching = [change for change in changes(settings)
                if any(file.path == name for file in change.files)]
    for position in range(len(touching) - 1, -1, -1):
        file = next(f for f in touching[position].files if f.path == name)
        if file.after == seen:
            return touching[position + 1:]
        if file.before == seen:
            return touching[position:]
    return touching[-1:]


def check_etag(settings: Settings, path: Path, seen: str | None) -> None:
    """Refuse a change made against a view of ``path`` that is no longer current.

    :param seen: the ETag the editor read (None: no check).
    :raise ConflictError: the file's ETag is not ``seen``; names the changes made since.
    """
    if seen is None or file_etag(path) == seen:
        return
    since = changes_since(settings, path, seen)
    if since:
        who = "; ".join(str(change) for change in since)
        message = f"changed since you read it ({who}): reload it and make your change again"
    else:
        message = ("changed since you read it (not by a change in the log): reload it and "
                   "make your change again")
    raise ConflictError(message, str(path), tuple(since))


def _store_blob(settings: Settings, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    path = member_path(history_dir(settings) / _BLOBS, digest)
    if not path.is_file():
        atomic_write(path, data)
    return digest


def _blob(settings: Settings, digest: str) -> bytes:
    path = member_path(history_dir(settings) / _BLOBS, digest)
    data = _read(path)
    if data is None or hashlib.sha256(data).hexdigest() != digest:
        raise ArchiveError("the saved bytes of this change are missing or damaged: it cannot "
                           "be undone", str(path))
    return data


def now() -> str:
    """The current UTC time as the log writes it."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def record(settings: Settings, who: str, what: str, files: Sequence[Path],
           write: Callable[[], object], *, folders: Sequence[Path] = (),
           undoes: int | None = None) -> Change:
    """Make a change through ``write`` and log it, all or nothing.

    :param files: the files ``write`` may write, create or remove.
    :param folders: folders whose ``*.xml`` files ``write`` may change (a registry change
        rewrites pointers in any document).
    :param write: makes the change (atomic writes of each file).
    :return: the logged change.
    :raise ArchiveError: ``write`` changed nothing (nothing is logged), or it raised (its
        error; what it wrote is rolled back).
    """
    data_dir = settings.data_dir
    with data_lock(data_dir):
        watched = list(dict.fromkeys([*files, *(p for folder in folders
                                                for p in sorted(folder.glob("*.xml"))
                                                if not p.name.startswith("."))]))
        before = {path: _read(path) for path in watched}
        ids = _record_ids(settings)
        change_id = (ids[-1] if ids else 0) + 1
        record_path = _record_path(settings, change_id)
        begin_journal(data_dir, "edit", [*files, record_path], folders)
        try:
            write()
            for folder in folders:  # files it created
                before.update({p: None for p in folder.glob("*.xml")
                               if not p.name.startswith(".") and p not in before})
            written = []
            for path, old in before.items():
                new = _read(path)
                if new != old:
                    for data in (old, new):
                        if data is not None:
                            _store_blob(settings, data)
                    written.append(FileChange(relative(settings, path), etag(old), etag(new)))
            if not written:
                raise ArchiveError("nothing to change: the files already hold this")
            change = Change(change_id, who, now(), what, tuple(written), undoes)
            atomic_write(record_path, json.dumps(change.to_json(), ensure_ascii=False,
                                                 indent=1).encode("utf-8"))
        except BaseException:
            _roll_back(data_dir, before)
            raise
        end_journal(data_dir)
        if settings.index_path.is_file():
            update_index(settings)
    return change


def _roll_back(data_dir: Path, before: dict[Path, bytes | None]) -> None:
    """Put back what a failed ``write`` changed (the journal holds the same, for a crash)."""
    for path, data in before.items():
        if data is None:
            path.unlink(missing_ok=True)
        else:
            atomic_write(path, data)
    end_journal(data_dir)


def undo(settings: Settings, change_id: int, who: str) -> Change:
    """Restore the files of change ``change_id`` to their bytes before it; logged as a change.

    :raise ConflictError: a file no longer holds what the change wrote (a later change, named,
        or an unlogged one changed it since), or the change was undone already.
    :raise ArchiveError: there is no such change.
    """
    with data_lock(settings.data_dir):
        change = get_change(settings, change_id)
        later = [c for c in changes(settings) if c.id > change_id]
        done = [c for c in later if c.undoes == change_id]
        if done:
            raise ConflictError(f"change {change_id} was undone already ({done[0]})",
                                str(history_dir(settings)), tuple(done))
        paths = {member_path_of(settings, file.path): file for file in change.files}
        for path, file in paths.items():
            if file_etag(path) != file.after:
                since = [c for c in later if any(f.path == file.path for f in c.files)]
                who_changed = "; ".join(str(c) for c in since) or "a change not in the log"
                raise ConflictError(f"cannot undo change {change_id}: {file.path} was changed "
                                    f"since ({who_changed}); undo that first",
                                    str(path), tuple(since))
        restore = {path: None if file.before is None else _blob(settings, file.before)
                   for path, file in paths.items()}

        def write() -> None:
            for path, data in restore.items():
                if data is None:
                    path.unlink(missing_ok=True)
                    try:  # a folder the change created (the first registry): gone again
                        path.parent.rmdir()
                    except OSError:
                        pass
                else:
                    atomic_write(path, data)

        return record(settings, who, f"undo of change {change_id} ({change.what})",
                      list(restore), write, undoes=change_id)


def member_path_of(settings: Settings, name: str) -> Path:
    """The file a log record names (``tei/x.xml``), checked to lie in the data directory."""
    path = settings.data_dir
    for part in name.split("/"):
        path = member_path(path, part)
    return path

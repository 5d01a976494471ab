"""Where the accounts are kept: the record of users (``users.json``'s bytes) and the key that
signs the sessions.

A single-machine archive keeps them in its data directory (:class:`FileStorage`: the file of
users written atomically under the data lock, the key made once with mode 0600). An archive
whose index is in PostgreSQL (``settings.index_url``) keeps them in that database, so that every
viewer host, given only the URL, logs in the same users with the same sessions: the storage
that does so lives with the only package that speaks to the database (``archive.index``) and
is handed to this one by whoever serves or manages accounts (:func:`use_database`). Without it,
an archive with a database refuses to guess (a user added to a file no other host reads would
be lost).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from ..config import Settings
from ..errors import ArchiveError
from ..store import atomic_write, data_lock

#: The file of users in the data directory (and the name of its record in a database).
USERS_FILE = "users.json"
#: The file of the key in the data directory (mode 0600; the name of its record too).
SECRET_KEY_FILE = ".secret_key"

#: Serialises this process's writers of the file: the data lock refuses a second thread.
_WRITING = threading.Lock()


class Held:
    """The record of users being changed: ``data`` as read (None: no record yet); what the
    change leaves in ``data`` is written when the block ends without an error."""

    def __init__(self, data: bytes | None) -> None:
        self.data = data


class AccountStorage(Protocol):
    """What keeps the accounts' two records."""

    #: Where they are, as an error message names it (a file, a database without password).
    where: str

    def read_users(self) -> bytes | None:
        """The record of users (None: none yet).

        :raise ArchiveError: it cannot be read.
        """

    def changing_users(self) -> AbstractContextManager[Held]:
        """The record of users to change, read and written back atomically: another writer
        (another thread, process or host) waits until the block ends, so no change is lost;
        an error in the block writes nothing.

        :raise ArchiveError: it cannot be read or written.
        """

    def secret_key(self, new: bytes) -> bytes:
        """The key that signs sessions: the one kept, else ``new``, kept first (when two
        servers start at once, both get the one kept first).

        :raise ArchiveError: it cannot be read or kept.
        """


class FileStorage:
    """The accounts in the data directory: :data:`USERS_FILE` and :data:`SECRET_KEY_FILE`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / USERS_FILE
        self.where = str(self.path)

    def read_users(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ArchiveError(f"cannot read the users ({error.strerror})",
                               str(self.path)) from None

    @contextmanager
    def changing_users(self) -> Iterator[Held]:
        with _WRITING, data_lock(self.data_dir):
            held = Held(self.read_users())
            before = held.data
            yield held
            if held.data is not None and held.data != before:
                atomic_write(self.path, held.data, mode=0o600)

    def secret_key(self, new: bytes) -> bytes:
        """The new key is written whole to a temporary file (mode 0600) and linked to its name
        only if none is there yet."""
        path = self.data_dir / SECRET_KEY_FILE
        try:
            if not path.exists():
                _make_key(path, new)
            return path.read_bytes()
        except OSError as error:
            raise ArchiveError(f"cannot read or make the secret key ({error.strerror}); set "
                               "ARCHIVE_SECRET_KEY instead", str(path)) from None


def _make_key(path: Path, key: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".secret_key.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:  # mkstemp's file is 0600
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another server made it first: use theirs
    finally:
        os.unlink(tmp)


#: The storage of an archive with an index database (see :func:`use_database`).
_DATABASE: list[Callable[[Settings], AccountStorage]] = []


def use_database(opener: Callable[[Settings], AccountStorage]) -> None:
    """Keep the accounts of an archive with an index database (``settings.index_url``) where
    ``opener(settings)`` keeps them (``archive.index.account_storage``: in the database)."""
    _DATABASE[:] = [opener]


def account_storage(settings: Settings) -> AccountStorage:
    """Where ``settings``' archive keeps its accounts: its database, or its data directory.

    :raise ArchiveError: the archive has an index database and no storage for it was handed
        to this package (:func:`use_database`).
    """
    if not settings.index_url:
        return FileStorage(settings.data_dir)
    if not _DATABASE:
        raise ArchiveError("the accounts of an archive with an index database are kept in the "
                           "database, and this program gave no way to reach it")
    return _DATABASE[0](settings)

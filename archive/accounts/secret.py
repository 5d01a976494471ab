"""The key that signs the viewer's sessions: ``DATA/.secret_key``, made once at first start."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..config import Settings
from ..errors import ArchiveError

#: The file of the key in the data directory (mode 0600).
SECRET_KEY_FILE = ".secret_key"
#: Bytes of a new key (os.urandom).
KEY_BYTES = 32


def secret_key(settings: Settings) -> bytes:
    """The data directory's secret key, made with :func:`os.urandom` the first time.

    The new key is written whole to a temporary file (mode 0600) and linked to its name only
    if none is there yet, so two servers starting at once end up with the same key.

    :raise ArchiveError: the key cannot be read or made (a read-only data directory), or the
        file holds too short a key.
    """
    path = settings.data_dir / SECRET_KEY_FILE
    try:
        if not path.exists():
            _make_key(path)
        key = path.read_bytes()
    except OSError as error:
        raise ArchiveError(f"cannot read or make the secret key ({error.strerror}); set "
                           "ARCHIVE_SECRET_KEY instead", str(path)) from None
    if len(key) < KEY_BYTES:
        raise ArchiveError(f"the secret key is shorter than {KEY_BYTES} bytes: remove the file "
                           "to make a new one (every session ends)", str(path))
    return key


def _make_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".secret_key.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:  # mkstemp's file is 0600
            handle.write(os.urandom(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another server made it first: use theirs
    finally:
        os.unlink(tmp)

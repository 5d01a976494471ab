"""The key that signs the viewer's sessions: ``DATA/.secret_key`` (or, with an index database,
its record there), made once at first start."""

from __future__ import annotations

import os

from ..config import Settings
from ..errors import ArchiveError
from .storage import SECRET_KEY_FILE, account_storage

__all__ = ["KEY_BYTES", "SECRET_KEY_FILE", "secret_key"]

#: Bytes of a new key (os.urandom).
KEY_BYTES = 32


def secret_key(settings: Settings) -> bytes:
    """The archive's secret key, made with :func:`os.urandom` the first time.

    The new key is kept only if none is kept yet (:meth:`AccountStorage.secret_key`), so two
    servers starting at once end up with the same key.

    :raise ArchiveError: the key cannot be read or made (a read-only data directory, a
        database out of reach), or too short a key is kept.
    """
    storage = account_storage(settings)
    key = storage.secret_key(os.urandom(KEY_BYTES))
    if len(key) < KEY_BYTES:
        where = (str(settings.data_dir / SECRET_KEY_FILE) if not settings.index_url
                 else storage.where)
        raise ArchiveError(f"the secret key is shorter than {KEY_BYTES} bytes: remove it to "
                           "make a new one (every session ends)", where)
    return key

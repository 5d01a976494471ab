"""The archive's users: names, roles and argon2id password hashes in ``DATA/users.json`` (or,
with an index database, in its record there: :mod:`.storage`).

The record is written atomically (the file with mode 0600 under the data directory's lock; the
database's in one transaction under a lock of its own), so two ``archive users`` commands (or a
command and the viewer, on any host) never lose each other's change. A password is only ever
hashed (argon2id with argon2-cffi's defaults, 64 MiB and 3 passes, unless
``Settings.password_profile`` names other parameters), never stored, printed or put in an
error message. Each user has a session *generation*: the viewer signs it into a session, and
raising it (:func:`end_sessions`, a new password) ends every session made before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal, cast

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from ..config import Settings, today
from ..errors import ArchiveError
from ..store import valid_id
from .storage import USERS_FILE, account_storage

#: Roles, weakest first: a reader may only log in and read; an editor may change documents
#: and the registry; an admin may also manage users and read the audit log.
ROLES = ("reader", "editor", "admin")
Role = Literal["reader", "editor", "admin"]
#: Bounds of a user name (letters, digits, ``_ . -`` as a document id) and of a password.
MAX_NAME_LENGTH = 64
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024

#: By profile name (``Settings.password_profile``): its hasher, and its hash of no password
#: (verified for an unknown name).
_HASHERS: dict[str, PasswordHasher] = {}
_NO_PASSWORD: dict[str, str] = {}


@dataclass(frozen=True)
class User:
    """One account.

    :param name: the login name.
    :param role: one of :data:`ROLES`.
    :param password_hash: the argon2id hash (PHC string) of the password.
    :param generation: raised to end every session of the user.
    :param created: the ISO date the account was made.
    """

    name: str
    role: Role
    password_hash: str
    generation: int = 0
    created: str = ""

    def has_role(self, role: Role) -> bool:
        """Whether this user may do what ``role`` may (an admin may do what an editor may)."""
        return ROLES.index(self.role) >= ROLES.index(role)


def users_path(settings: Settings) -> Path:
    """``DATA/users.json``."""
    return settings.data_dir / USERS_FILE


def check_name(name: str) -> str:
    """``name`` when it is a usable user name.

    :raise ArchiveError: one line saying why not.
    """
    if not valid_id(name) or len(name) > MAX_NAME_LENGTH:
        shown = name if len(name) <= 40 else f"{name[:37]}..."
        raise ArchiveError(f"unusable user name {shown!r}: letters, digits, '_', '.' and '-', "
                           f"starting with a letter, digit or '_', at most {MAX_NAME_LENGTH} "
                           "characters")
    return name


def check_role(role: str) -> Role:
    """``role`` when it is one of :data:`ROLES`.

    :raise ArchiveError: one line naming the roles.
    """
    if role not in ROLES:
        raise ArchiveError(f"unknown role {role[:40]!r}: one of {', '.join(ROLES)}")
    return cast(Role, role)


def check_password(password: str, name: str) -> str:
    """``password`` when it is strong enough for ``name``'s account (never shown in the error).

    :raise ArchiveError: empty, shorter than :data:`MIN_PASSWORD_LENGTH` characters, longer
        than :data:`MAX_PASSWORD_LENGTH`, the user's name, or fewer than 5 distinct characters.
    """
    length = len(password)
    if not password.strip():
        raise ArchiveError("the password is empty")
    if length < MIN_PASSWORD_LENGTH or length > MAX_PASSWORD_LENGTH:
        raise ArchiveError(f"the password must have {MIN_PASSWORD_LENGTH} to "
                           f"{MAX_PASSWORD_LENGTH} characters (it has {length})")
    if password.casefold() == name.casefold() or len(set(password)) < 5:
        raise ArchiveError("the password is too weak: not the user's name, and at least 5 "
                           "different characters")
    return password


def load_users(settings: Settings) -> dict[str, User]:
    """Every user by name ({} before the first is added).

    :raise ArchiveError: the record cannot be read or is not one of users (naming it).
    """
    storage = account_storage(settings)
    return _parsed(storage.read_users(), storage.where)


def _parsed(raw: bytes | None, where: str) -> dict[str, User]:
    """The users of the record ``raw`` ({} for None)."""
    if raw is None:
        return {}
    try:
        records = json.loads(raw)["users"]
        users = {name: User(name=name, role=check_role(record["role"]),
                            password_hash=str(record["password_hash"]),
                            generation=int(record["generation"]),
                            created=str(record.get("created", "")))
                 for name, record in records.items()}
    except (ValueError, TypeError, KeyError, AttributeError, ArchiveError):
        raise ArchiveError("not a file of users (JSON with a 'users' object of name, role, "
                           "password_hash and generation)", where) from None
    return users


def get_user(settings: Settings, name: str) -> User | None:
    """The user called ``name``, or None."""
    return load_users(settings).get(name)


def require_user(settings: Settings, name: str) -> User:
    """The user called ``name``.

    :raise ArchiveError: there is none.
    """
    user = get_user(settings, name)
    if user is None:
        raise ArchiveError(f"no user {name[:60]!r}", account_storage(settings).where)
    return user


def hash_password(settings: Settings, password: str) -> str:
    """The argon2id hash of ``password`` (a PHC string with its salt and parameters)."""
    return _hasher(settings).hash(password)


def check_password_profile(settings: Settings) -> None:
    """:raise ArchiveError: ``settings.password_profile`` names no argon2 profile."""
    _hasher(settings)


def _hasher(settings: Settings) -> PasswordHasher:
    name = settings.password_profile
    if name not in _HASHERS:
        parameters = getattr(profiles, name, None) if name.isupper() else None
        if not isinstance(parameters, Parameters):
            known = ", ".join(sorted(n for n, v in vars(profiles).items()
                                     if n.isupper() and isinstance(v, Parameters)))
            raise ArchiveError(f"no argon2 profile {name[:60]!r} (ARCHIVE_PASSWORD_PROFILE: "
                               f"one of {known})")
        _HASHERS[name] = PasswordHasher.from_parameters(parameters)
    return _HASHERS[name]


def add_user(settings: Settings, name: str, role: str, password: str) -> User:
    """Make an account.

    :raise ArchiveError: a bad name, role or password, or the user exists already.
    """
    check_name(name)
    checked = check_role(role)
    user = User(name, checked, hash_password(settings, check_password(password, name)), 0,
                today())
    with _changing(settings) as users:
        if name in users:
            raise ArchiveError(f"user {name!r} exists already (`archive users passwd` changes "
                               "the password)", account_storage(settings).where)
        users[name] = user
    return user


def set_password(settings: Settings, name: str, password: str) -> User:
    """Give ``name`` a new password; every session made with the old one ends.

    :raise ArchiveError: no such user, or a weak password.
    """
    password_hash = hash_password(settings, check_password(password, name))
    with _changing(settings) as users:
        user = users[_known(settings, users, name)]
        users[name] = replace(user, password_hash=password_hash,
                              generation=user.generation + 1)
    return users[name]


def end_sessions(settings: Settings, name: str) -> User:
    """End every session of ``name`` ("log out everywhere"): raise its generation.

    :raise ArchiveError: no such user.
    """
    with _changing(settings) as users:
        user = users[_known(settings, users, name)]
        users[name] = replace(user, generation=user.generation + 1)
    return users[name]


def remove_user(settings: Settings, name: str) -> None:
    """Remove ``name``'s account (its sessions end with it).

    :raise ArchiveError: no such user.
    """
    with _changing(settings) as users:
        del users[_known(settings, users, name)]


def authenticate(settings: Settings, name: str, password: str) -> User | None:
    """The user when ``password`` is ``name``'s, else None.

    An unknown name costs the same hashing as a known one (a dummy hash is verified), so the
    time of an answer does not tell whether a user exists. A hash made with weaker parameters
    than today's is replaced by a new one, when the data directory is free to write (else at a
    later login).
    """
    user = get_user(settings, name) if valid_id(name) else None
    if len(password) > MAX_PASSWORD_LENGTH:
        password = password[:MAX_PASSWORD_LENGTH + 1]  # bound the work; cannot match
    hasher = _hasher(settings)
    try:
        hasher.verify(user.password_hash if user else _no_password(settings), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        try:
            with _changing(settings) as users:
                if name in users and users[name].password_hash == user.password_hash:
                    user = users[name] = replace(
                        user, password_hash=hash_password(settings, password))
        except (ArchiveError, OSError):
            pass  # busy or read-only: the old hash still works; the next login tries again
    return user


def _no_password(settings: Settings) -> str:
    name = settings.password_profile
    if name not in _NO_PASSWORD:
        _NO_PASSWORD[name] = _hasher(settings).hash("no such user, no such password")
    return _NO_PASSWORD[name]


def _known(settings: Settings, users: dict[str, User], name: str) -> str:
    if name not in users:
        raise ArchiveError(f"no user {name[:60]!r}", account_storage(settings).where)
    return name


@contextmanager
def _changing(settings: Settings) -> Iterator[dict[str, User]]:
    """The users to change in place, read and written back atomically (see :mod:`.storage`)."""
    storage = account_storage(settings)
    with storage.changing_users() as held:
        users = _parsed(held.data, storage.where)
        yield users
        records = {name: {key: value for key, value in asdict(user).items() if key != "name"}
                   for name, user in sorted(users.items())}
        data = json.dumps({"version": 1, "users": records}, indent=2, ensure_ascii=False)
        held.data = data.encode("utf-8") + b"\n"

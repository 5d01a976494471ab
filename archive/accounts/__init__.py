"""Accounts for editing in the browser: users with roles and argon2id password hashes, and the
key that signs the viewer's sessions; in the data directory, or with an index database in that
database (:mod:`.storage`).
"""

from .secret import KEY_BYTES, SECRET_KEY_FILE, secret_key
from .storage import USERS_FILE, AccountStorage, Held, account_storage, use_database
from .users import (
    MIN_PASSWORD_LENGTH,
    ROLES,
    Role,
    User,
    add_user,
    authenticate,
    check_name,
    check_password,
    check_password_profile,
    check_role,
    end_sessions,
    get_user,
    load_users,
    remove_user,
    require_user,
    set_password,
    users_path,
)

__all__ = [
    "AccountStorage",
    "Held",
    "KEY_BYTES",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "SECRET_KEY_FILE",
    "USERS_FILE",
    "Role",
    "User",
    "account_storage",
    "add_user",
    "authenticate",
    "check_name",
    "check_password",
    "check_password_profile",
    "check_role",
    "end_sessions",
    "get_user",
    "load_users",
    "remove_user",
    "require_user",
    "secret_key",
    "set_password",
    "use_database",
    "users_path",
]

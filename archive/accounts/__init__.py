"""Accounts for editing in the browser: users with roles and argon2id password hashes in the
data directory, and the key that signs the viewer's sessions.
"""

from .secret import KEY_BYTES, SECRET_KEY_FILE, secret_key
from .users import (
    MIN_PASSWORD_LENGTH,
    ROLES,
    USERS_FILE,
    Role,
    User,
    add_user,
    authenticate,
    check_name,
    check_password,
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
    "KEY_BYTES",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "SECRET_KEY_FILE",
    "USERS_FILE",
    "Role",
    "User",
    "add_user",
    "authenticate",
    "check_name",
    "check_password",
    "check_role",
    "end_sessions",
    "get_user",
    "load_users",
    "remove_user",
    "require_user",
    "secret_key",
    "set_password",
    "users_path",
]

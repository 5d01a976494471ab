"""archive.accounts: users with roles and argon2id hashes in DATA/users.json (0600, atomic,
under the data lock), the session generation, and the viewer's secret key."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from archive.accounts import (
    ROLES,
    add_user,
    authenticate,
    end_sessions,
    get_user,
    load_users,
    remove_user,
    secret_key,
    set_password,
    users_path,
)
from archive.config import DEFAULT_PASSWORD_PROFILE, Settings
from archive.errors import ArchiveError

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_password_is_stored_only_as_an_argon2id_hash(settings: Settings) -> None:
    settings = replace(settings, password_profile=DEFAULT_PASSWORD_PROFILE)  # not the tests'
    add_user(settings, "alice", "editor", PASSWORD)
    text = users_path(settings).read_text(encoding="utf-8")
    assert PASSWORD not in text
    stored = json.loads(text)["users"]["alice"]["password_hash"]
    assert stored.startswith("$argon2id$v=19$")
    parameters = dict(part.split("=") for part in stored.split("$")[3].split(","))
    assert int(parameters["m"]) >= 65536 and int(parameters["t"]) >= 3  # the library's defaults
    assert mode(users_path(settings)) == 0o600


def test_the_right_password_logs_in_a_wrong_one_or_an_unknown_user_not(settings: Settings) -> None:
    add_user(settings, "alice", "editor", PASSWORD)
    user = authenticate(settings, "alice", PASSWORD)
    assert user is not None and user.name == "alice" and user.role == "editor"
    assert authenticate(settings, "alice", PASSWORD + "x") is None
    assert authenticate(settings, "alice", "") is None
    assert authenticate(settings, "bob", PASSWORD) is None
    assert authenticate(settings, "../alice", PASSWORD) is None
    assert authenticate(settings, "alice", "x" * 100_000) is None


def test_roles_are_ordered(settings: Settings) -> None:
    for name, role in zip(("r", "e", "a"), ROLES, strict=True):
        add_user(settings, name, role, PASSWORD)
    users = load_users(settings)
    assert [users[name].has_role("editor") for name in "rea"] == [False, True, True]
    assert [users[name].has_role("admin") for name in "rea"] == [False, False, True]
    assert all(users[name].has_role("reader") for name in "rea")


def test_remove_passwd_and_the_generation(settings: Settings) -> None:
    add_user(settings, "alice", "admin", PASSWORD)
    add_user(settings, "bob", "reader", PASSWORD)
    assert get_user(settings, "alice").generation == 0
    assert end_sessions(settings, "alice").generation == 1
    changed = set_password(settings, "alice", "another fine password")
    assert changed.generation == 2  # a new password ends the old sessions too
    assert authenticate(settings, "alice", PASSWORD) is None
    assert authenticate(settings, "alice", "another fine password") is not None
    remove_user(settings, "alice")
    assert authenticate(settings, "alice", "another fine password") is None
    assert sorted(load_users(settings)) == ["bob"]
    assert get_user(settings, "bob").generation == 0  # the others untouched
    assert mode(users_path(settings)) == 0o600


@pytest.mark.parametrize(("call", "needle"), [
    (lambda s: add_user(s, "bad name", "editor", PASSWORD), "unusable user name 'bad name'"),
    (lambda s: add_user(s, "../etc", "editor", PASSWORD), "unusable user name"),
    (lambda s: add_user(s, "", "editor", PASSWORD), "unusable user name"),
    (lambda s: add_user(s, "x" * 65, "editor", PASSWORD), "at most 64"),
    (lambda s: add_user(s, "carol", "root", PASSWORD), "unknown role 'root'"),
    (lambda s: add_user(s, "carol", "editor", ""), "the password is empty"),
    (lambda s: add_user(s, "carol", "editor", "          "), "the password is empty"),
    (lambda s: add_user(s, "carol", "editor", "short1"), "10 to 1024 characters"),
    (lambda s: add_user(s, "carol", "editor", "aaaaaaaaaaaa"), "too weak"),
    (lambda s: add_user(s, "carolcarol", "editor", "CarolCarol"), "too weak"),
    (lambda s: add_user(s, "alice", "editor", PASSWORD), "user 'alice' exists already"),
    (lambda s: set_password(s, "nobody", PASSWORD), "no user 'nobody'"),
    (lambda s: set_password(s, "alice", "short1"), "10 to 1024 characters"),
    (lambda s: remove_user(s, "nobody"), "no user 'nobody'"),
    (lambda s: end_sessions(s, "nobody"), "no user 'nobody'"),
])
def test_bad_input_is_one_line_and_changes_nothing(settings: Settings, call, needle: str) -> None:
    add_user(settings, "alice", "editor", PASSWORD)
    before = users_path(settings).read_bytes()
    with pytest.raises(ArchiveError) as caught:
        call(settings)
    message = str(caught.value)
    assert needle in message and "\n" not in message
    assert PASSWORD not in message and "short1" not in message
    assert users_path(settings).read_bytes() == before


def test_a_file_that_is_not_one_of_users_is_named(settings: Settings) -> None:
    settings.data_dir.mkdir()
    users_path(settings).write_text('{"users": {"alice": {"role": "god"}}}', encoding="utf-8")
    with pytest.raises(ArchiveError, match=r"users\.json: not a file of users"):
        load_users(settings)
    with pytest.raises(ArchiveError, match="not a file of users"):
        authenticate(settings, "alice", PASSWORD)
    with pytest.raises(ArchiveError, match="not a file of users"):
        add_user(settings, "bob", "editor", PASSWORD)


def test_the_file_stays_0600_whatever_the_umask(settings: Settings) -> None:
    old = os.umask(0)
    try:
        add_user(settings, "alice", "editor", PASSWORD)
        end_sessions(settings, "alice")
    finally:
        os.umask(old)
    assert mode(users_path(settings)) == 0o600
    assert not [path for path in settings.data_dir.iterdir() if path.suffix == ".tmp"]


def test_a_weaker_hash_is_replaced_at_login(settings: Settings) -> None:
    settings = replace(settings, password_profile=DEFAULT_PASSWORD_PROFILE)  # not the tests'
    add_user(settings, "alice", "editor", PASSWORD)
    path = users_path(settings)
    record = json.loads(path.read_text(encoding="utf-8"))
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    record["users"]["alice"]["password_hash"] = weak
    path.write_text(json.dumps(record), encoding="utf-8")
    assert authenticate(settings, "alice", PASSWORD) is not None
    renewed = get_user(settings, "alice").password_hash
    assert renewed != weak and "m=65536,t=3,p=4" in renewed
    assert authenticate(settings, "alice", PASSWORD) is not None


def test_passwords_are_hashed_with_the_profile_set_and_again_when_it_changes(
        settings: Settings) -> None:
    cheapest = replace(settings, password_profile="CHEAPEST")
    add_user(cheapest, "alice", "editor", PASSWORD)
    made = get_user(settings, "alice").password_hash
    assert "m=8,t=1,p=1" in made
    assert authenticate(cheapest, "alice", PASSWORD) is not None
    assert get_user(settings, "alice").password_hash == made  # the profile's: kept
    default = replace(settings, password_profile=DEFAULT_PASSWORD_PROFILE)
    assert authenticate(default, "alice", "not the password") is None
    assert get_user(settings, "alice").password_hash == made  # a failed login changes nothing
    assert authenticate(default, "alice", PASSWORD) is not None  # hashed again, as set now
    assert "m=65536,t=3,p=4" in get_user(settings, "alice").password_hash


@pytest.mark.parametrize("profile", ["rfc_9106_low_memory", "Parameters", "NO_SUCH", "__all__"])
def test_a_profile_argon2_does_not_have_is_one_line(settings: Settings, profile: str) -> None:
    wrong = replace(settings, password_profile=profile)
    with pytest.raises(ArchiveError) as raised:
        add_user(wrong, "alice", "editor", PASSWORD)
    assert str(raised.value).startswith(f"no argon2 profile {profile!r} "
                                        "(ARCHIVE_PASSWORD_PROFILE: one of CHEAPEST, ")
    assert "RFC_9106_LOW_MEMORY" in str(raised.value) and "\n" not in str(raised.value)
    assert not users_path(settings).exists()
    with pytest.raises(ArchiveError):
        authenticate(wrong, "alice", PASSWORD)


def test_threads_adding_at_once_lose_nobody(settings: Settings) -> None:
    errors: list[Exception] = []

    def add(name: str) -> None:
        try:
            add_user(settings, name, "editor", PASSWORD)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=add, args=(f"user{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(load_users(settings)) == [f"user{n}" for n in range(6)]


def test_processes_adding_at_once_lose_no_update(settings: Settings) -> None:
    """Real concurrent `archive users add`: each one either added its user or said in one line
    that another process holds the data lock; the file holds exactly the ones that added."""
    add_user(settings, "first", "admin", PASSWORD)
    env = {**os.environ, "ARCHIVE_DATA": str(settings.data_dir)}
    runs = [subprocess.Popen([sys.executable, "-m", "archive", "users", "add", f"p{n}",
                              "--password-stdin"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
            for n in range(4)]
    for run in runs:  # all four read their password, then race for the lock
        run.stdin.write(PASSWORD + "\n")
        run.stdin.close()
        run.stdin = None  # closed: communicate() below only reads
    added = ["first"]
    for n, run in enumerate(runs):
        stdout, stderr = run.communicate(timeout=120)
        if run.returncode == 0:
            added.append(f"p{n}")
        else:
            assert run.returncode == 1 and stderr.count("\n") == 1, stderr
            assert "another archive process" in stderr and "is writing" in stderr
        assert PASSWORD not in stdout + stderr
    assert sorted(load_users(settings)) == sorted(added)
    assert mode(users_path(settings)) == 0o600


def test_the_secret_key_is_made_once_and_kept_secret(settings: Settings) -> None:
    key = secret_key(settings)
    path = settings.data_dir / ".secret_key"
    assert len(key) == 32 and path.read_bytes() == key and mode(path) == 0o600
    assert secret_key(settings) == key
    assert [p.name for p in settings.data_dir.iterdir()] == [".secret_key"]
    path.write_bytes(b"short")
    with pytest.raises(ArchiveError, match="shorter than 32 bytes"):
        secret_key(settings)


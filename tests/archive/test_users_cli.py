"""`archive users add|passwd|list|remove|logout`: real processes; the password asked twice on a
real terminal without echo, or read from standard input; never printed."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from archive.accounts import authenticate, load_users
from archive.config import Settings

PASSWORD = "correct horse battery"


def archive(data: Path, *args: str, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive", "--data", str(data), *args],
                          input=stdin, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL if stdin is None else None,
                          env=None if env is None else {**os.environ, **env})


def on_terminal(data: Path, answers: list[str], *args: str) -> tuple[int, str]:
    """Run ``archive ARGS`` with a new pseudo-terminal as its controlling terminal (pty.fork),
    typing each answer at each prompt: what the screen shows, and the exit status."""
    pid, main = pty.fork()
    if pid == 0:  # the child: its terminal is the pty
        os.execv(sys.executable, [sys.executable, "-m", "archive", "--data", str(data), *args])
    screen = b""
    pending = list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child ended: the terminal is gone
            break
        if not chunk:
            break
        screen += chunk
        # click writes "Password for alice:", then getpass turns the echo off and writes " "
        if pending and screen.endswith(b": "):
            os.write(main, pending.pop(0).encode() + b"\r")
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(main)
    return os.waitstatus_to_exitcode(status), screen.decode("utf-8", "replace")


def test_add_asks_twice_without_echo(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, screen = on_terminal(data, [PASSWORD, PASSWORD], "users", "add", "alice",
                               "--role", "admin")
    assert code == 0, screen
    assert "Password for alice:" in screen and "Repeat for confirmation:" in screen
    assert PASSWORD not in screen  # not echoed, not printed
    assert "added alice (admin)" in screen
    assert authenticate(Settings(data_dir=data), "alice", PASSWORD) is not None


def test_two_different_answers_are_asked_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, screen = on_terminal(data, [PASSWORD, "something else 1", PASSWORD, PASSWORD],
                               "users", "add", "alice")
    assert code == 0, screen
    assert "do not match" in screen and PASSWORD not in screen
    assert load_users(Settings(data_dir=data))["alice"].role == "reader"  # the least, unless said


def test_password_stdin_list_passwd_remove(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    added = archive(data, "users", "add", "alice", "--role", "editor", "--password-stdin",
                    stdin=PASSWORD + "\n")
    assert added.returncode == 0 and added.stdout == "added alice (editor)\n", added.stderr
    assert archive(data, "users", "add", "bob", "--role", "reader", "--password-stdin",
                   stdin=PASSWORD + "\n").returncode == 0
    listed = archive(data, "users", "list")
    assert listed.returncode == 0
    assert [line.split("\t")[:2] for line in listed.stdout.splitlines()] == [
        ["alice", "editor"], ["bob", "reader"]]
    assert "argon2" not in listed.stdout and "$" not in listed.stdout
    changed = archive(data, "users", "passwd", "alice", "--password-stdin",
                      stdin="a new long password\n")
    assert changed.returncode == 0 and "a new long password" not in changed.stdout
    assert authenticate(settings, "alice", "a new long password") is not None
    assert load_users(settings)["alice"].generation == 1
    assert archive(data, "users", "logout", "alice").returncode == 0
    assert load_users(settings)["alice"].generation == 2
    removed = archive(data, "users", "remove", "bob")
    assert removed.returncode == 0 and removed.stdout == "removed bob\n"
    assert sorted(load_users(settings)) == ["alice"]


def test_bad_input_is_one_line_and_never_shows_the_password(tmp_path: Path) -> None:
    data = tmp_path / "data"
    archive(data, "users", "add", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    before = (data / "users.json").read_bytes()
    cases = [
        (("users", "add", "bad name", "--password-stdin"), PASSWORD, "unusable user name"),
        (("users", "add", "carol", "--password-stdin"), "weak12", "10 to 1024 characters"),
        (("users", "add", "carol", "--password-stdin"), "", "the password is empty"),
        (("users", "add", "alice", "--password-stdin"), PASSWORD, "exists already"),
        (("users", "add", "carol"), None, "use --password-stdin"),
        (("users", "passwd", "nobody", "--password-stdin"), PASSWORD, "no user 'nobody'"),
        (("users", "remove", "nobody"), None, "no user 'nobody'"),
    ]
    for args, password, needle in cases:
        result = archive(data, *args, stdin=None if password is None else password + "\n")
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.startswith("archive: error: ") and result.stderr.count("\n") == 1
        assert needle in result.stderr, result.stderr
        if password:
            assert password not in result.stdout + result.stderr
    profile = archive(data, "users", "add", "carol", "--password-stdin", stdin=PASSWORD + "\n",
                      env={"ARCHIVE_PASSWORD_PROFILE": "STRONGEST"})
    assert profile.returncode == 1 and profile.stderr.count("\n") == 1, profile.stderr
    assert profile.stderr.startswith("archive: error: no argon2 profile 'STRONGEST' "
                                     "(ARCHIVE_PASSWORD_PROFILE: one of ")
    bad_role = archive(data, "users", "add", "carol", "--role", "root", "--password-stdin",
                       stdin=PASSWORD + "\n")
    assert bad_role.returncode == 2 and "root" in bad_role.stderr  # click's usage error
    assert (data / "users.json").read_bytes() == before

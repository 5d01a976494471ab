"""``archive validate``: check documents against the archive schema or the official TEI schema."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..config import Settings


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--all", "all_files", is_flag=True,
              help="Validate the data directory's tei/*.xml and registry/*.xml.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--schema", type=click.Choice(["archive", "tei_all"]), default="archive",
              show_default=True,
              help="archive: archive.rng + archive.sch with the registry; "
                   "tei_all: official TEI P5.")
@click.option("--tei-all", "tei_all", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Path of tei_all.rng (else $ARCHIVE_TEI_ALL_RNG, "
                                 "else ../shared/tei/tei_all.rng).")
@click.pass_obj
def validate(settings: Settings, paths: tuple[Path, ...], all_files: bool, output: str,
             schema: str, tei_all: Path | None) -> None:
    """Validate TEI documents; print one line per issue and a summary; exit 1 if any is invalid."""
    # imported here: the command line's other commands do not wait for the schemas' modules
    from ..validation import (
        document_files,
        format_json,
        format_text,
        load_registry_ids,
        schemas_for,
        validate_files,
    )

    if not paths and not all_files:
        raise click.UsageError("give one or more PATHs, or --all")
    files = document_files(settings, list(paths), all_files)
    schemas = schemas_for("tei_all" if schema == "tei_all" else "archive", settings, tei_all)
    # the registry is only consulted by the archive rules
    registry_ids = load_registry_ids(settings) if schemas.sch is not None else None
    reports = validate_files(files, schemas, registry_ids)
    click.echo(format_json(reports) if output == "json" else format_text(reports))
    if not all(report.valid for report in reports):
        sys.exit(1)

"""The ``archive`` command line: parsing and printing only; the work is done in the modules."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from . import __version__
from .config import Settings
from .errors import ArchiveError


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear line on stderr and exit non-zero."""
    click.echo(f"archive: error: {message}", err=True)
    sys.exit(code)


class ArchiveGroup(click.Group):
    """Turns every ArchiveError (and TEI error) into one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> object:
        from tei.errors import TeiError

        try:
            return super().invoke(ctx)
        except (ArchiveError, TeiError) as error:
            fail(str(error))
        except KeyboardInterrupt:
            fail("interrupted", 130)


@click.group(cls=ArchiveGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              envvar="ARCHIVE_DATA", default=None,
              help="The data directory (default ./archive-data, or $ARCHIVE_DATA).")
@click.version_option(__version__, prog_name="archive")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """A digital archive of TEI P5 documents: build, annotate, validate, query, export."""
    ctx.obj = Settings.from_env(data_dir)


@cli.command()
@click.pass_obj
def info(settings: Settings) -> None:
    """Print the version and where the data directory is."""
    click.echo(f"archive {__version__}")
    click.echo(f"data directory: {settings.data_dir.resolve()}")
    tei_dir = settings.tei_dir
    count = len(list(tei_dir.glob("*.xml"))) if tei_dir.is_dir() else 0
    click.echo(f"documents: {count}")


def main() -> None:  # pragma: no cover - console entry for `python -m archive`
    cli()

"""The ``archive`` command line: parsing and printing only; the work is done in the modules."""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__
from .config import Settings
from .errors import ArchiveError


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear line on stderr and exit non-zero."""
    click.echo(f"archive: error: {message}", err=True)
    sys.exit(code)


class _Later:
    """A command not imported yet: its module and its name there."""

    def __init__(self, module: str, attribute: str) -> None:
        self.module, self.attribute = module, attribute


class _Commands(dict[str, Any]):
    """A group's commands by name, those added by :meth:`ArchiveGroup.add_later` imported from
    their module when first looked up (to run one, or to show the help)."""

    def __getitem__(self, name: str) -> click.Command:
        command = super().__getitem__(name)
        if isinstance(command, _Later):
            command = getattr(importlib.import_module(command.module, __package__),
                              command.attribute)
            self[name] = command
        return command  # type: ignore[no-any-return]

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self else default

    def later(self, name: str, module: str, attribute: str) -> None:
        super().__setitem__(name, _Later(module, attribute))


class ArchiveGroup(click.Group):
    """Turns every ArchiveError (and TEI error) into one line on stderr and exit status 1;
    so too an OSError (a full disk, a read-only file system, a name too long):
    ``archive: error: <file>: <reason>``.

    Commands whose modules import much (validation, curation: the indexer, the schemas) are
    added by :meth:`add_later`, imported when they run: ``archive facets`` does not wait for
    them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = self.later = _Commands(self.commands)

    def add_later(self, module: str, *names: tuple[str, str]) -> None:
        """Add the commands (name, attribute) of ``module`` (relative to this package)."""
        for name, attribute in names:
            self.later.later(name, module, attribute)

    def invoke(self, ctx: click.Context) -> object:
        from tei.errors import TeiError

        try:
            return super().invoke(ctx)
        except (ArchiveError, TeiError) as error:
            fail(str(error))
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except OSError as error:
            fail(os_error_line(error))


def os_error_line(error: OSError) -> str:
    """``<file>: <reason>`` of an OSError (``No space left on device``, ...)."""
    reason = error.strerror or str(error)
    names = [str(name) for name in (error.filename, error.filename2) if name is not None]
    return f"{' -> '.join(names)}: {reason}" if names else reason


@click.group(cls=ArchiveGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              envvar="ARCHIVE_DATA", default=None,
              help="The data directory (default ./archive-data, or $ARCHIVE_DATA).")
@click.option("--index", "index_url", metavar="URL", envvar="ARCHIVE_INDEX_URL", default=None,
              help="Publish the index to and read it from this PostgreSQL database "
                   "(postgresql://user:password@host:port/name, or $ARCHIVE_INDEX_URL); "
                   "default: the SQLite file index.sqlite of the data directory alone.")
@click.version_option(__version__, prog_name="archive")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, index_url: str | None) -> None:
    """A digital archive of TEI P5 documents: build, annotate, validate, query, export."""
    if index_url:  # (the viewer and worker processes read the settings from the environment)
        os.environ["ARCHIVE_INDEX_URL"] = index_url
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


#: The metadata a command line may give about a source (they win over its sidecar).
METADATA_OPTIONS = (
    ("id", "Document id (overrides the sidecar and the file name): lower-case letters, "
           "digits, '_', '.', '-'."),
    ("title", "Title (overrides the sidecar and the first heading)."),
    ("author", "Author of the source."),
    ("date", "Date of publication, ISO (YYYY, YYYY-MM, YYYY-MM-DD)."),
    ("publisher", "Publisher or website."),
    ("periodical", "Journal or magazine."),
)
SOURCE_FORMATS = click.Choice(["text", "markdown", "html"])


def source_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add ``--format`` and the metadata options; the command gets ``format_`` and
    ``overrides`` (the metadata given, as read_source takes it)."""

    @functools.wraps(command)
    def collect(*args: object, **kwargs: object) -> None:
        given = {name: kwargs.pop(name) for name, _ in METADATA_OPTIONS}
        command(*args, overrides={k: str(v) for k, v in given.items() if v}, **kwargs)

    decorated: Callable[..., None] = collect
    for name, text in reversed(METADATA_OPTIONS):
        decorated = click.option(f"--{name}", help=text)(decorated)
    return click.option("--format", "format_", type=SOURCE_FORMATS,
                        help="Input format (default: from the file extension or sidecar).")(
                            decorated)


@cli.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@source_options
@click.option("--no-annotate", is_flag=True, help="Encode only; do not tag names and dates.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Tag on a Dask cluster: its scheduler's address (tcp://host:8786); "
                   "validating, writing and indexing stay here.")
@click.pass_obj
def build(settings: Settings, sources: tuple[Path, ...], format_: str | None,
          overrides: dict[str, str], no_annotate: bool, scheduler: str | None) -> None:
    """Encode, annotate, validate and index SOURCES (default: the bundled samples).

    Writes tei/<id>.xml, sources/, registry/ and index.sqlite under the data directory.
    --format applies to every SOURCE; --title, --author, ... need exactly one SOURCE.
    With --scheduler, each source is encoded and tagged on a worker of a Dask cluster.
    """
    from . import build as building
    from .report import print_build_summary, progress_bar

    paths = list(sources) or building.sample_sources()
    if overrides and len(paths) != 1:
        fail("--id, --title, --author, --date, --publisher and --periodical describe one "
             "source: give exactly one SOURCE (or use sidecars)", 2)
    with ExitStack() as stack:  # the scheduler reached first: on failure, one line
        cluster = stack.enter_context(building.connect(scheduler)) if scheduler else None
        advance = stack.enter_context(progress_bar("Building", total=len(paths)))
        report = building.build(settings, paths, format=format_, overrides=overrides,
                                progress=advance, annotate_names=not no_annotate,
                                cluster=cluster)
    print_build_summary(settings, report)
    if report.failures:
        for failure in report.failures:
            click.echo(f"archive: error: {failure}", err=True)
        sys.exit(1)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@source_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the TEI here instead of standard output.")
@click.option("--annotate", "annotate_", is_flag=True,
              help="Also tag names and dates with the data directory's registry.")
@click.pass_obj
def encode(settings: Settings, file: Path, format_: str | None, overrides: dict[str, str],
           output: Path | None, annotate_: bool) -> None:
    """Encode one FILE as a TEI document (standard output, or -o OUT)."""
    from tei.serialize import serialize

    from .annotate import annotate
    from .config import today
    from .ingest import encode as encode_source
    from .ingest import read_source
    from .store import atomic_write

    source = read_source(file, format_, overrides)
    tree = encode_source(source, encoded_on=today())
    if annotate_:
        from .annotate import Recogniser
        from .registry import load_registry

        recogniser = Recogniser.for_archive(load_registry(settings), settings)
        annotate(tree, recogniser.recognise, recogniser.components)
    data = serialize(tree)
    if output:
        atomic_write(output, data)
    else:
        click.echo(data.decode("utf-8"), nl=False)

cli.add_later(".commands.validate", ("validate", "validate"))
cli.add_later(".commands.registry", ("registry", "registry"), ("review", "review"))

from .commands.tag import tag  # noqa: E402

cli.add_command(tag)

cli.add_later(".commands.edits", ("tags", "tags"), ("log", "log"))

from .commands.query import facets, query, reindex  # noqa: E402

cli.add_command(reindex)
cli.add_command(facets)
cli.add_command(query)

from .commands.serve import serve  # noqa: E402

cli.add_command(serve)

from .commands.users import users  # noqa: E402

cli.add_command(users)

from .commands.learn import evaluate_command, train_command  # noqa: E402

cli.add_command(evaluate_command)
cli.add_command(train_command)


@cli.command("check")
@click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text",
              help="Output format.")
@click.option("--repair", is_flag=True, help="First roll back what an interrupted write left "
              "(an import's journal, temporary files) and bring the index in step.")
@click.pass_obj
def check_command(settings: Settings, format_: str, repair: bool) -> None:
    """Verify the whole archive: validity, index in step with the files, registry references.

    Exits 1 when there is a problem; warnings alone exit 0.
    """
    import json

    from .check import check
    from .check import repair as repair_archive

    if repair:
        repair_archive(settings)
    report = check(settings)
    if format_ == "json":
        click.echo(json.dumps({"ok": report.ok, "documents": report.documents,
                               "findings": [vars(f) for f in report.findings]}, indent=2))
    else:
        for finding in report.findings:
            click.echo(str(finding))
        click.echo(report.summary())
    sys.exit(0 if report.ok else 1)

from .commands.interchange import export_command, import_command  # noqa: E402

cli.add_command(import_command)
cli.add_command(export_command)

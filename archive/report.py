"""Terminal output drawn with rich: progress bars and the build summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from .build import BuildReport
    from .config import Settings

TYPES = ("person", "place", "org", "date")
COLOURS = {"person": "cyan", "place": "green", "org": "magenta", "date": "yellow"}


@contextmanager
def progress_bar(label: str, total: int, console: Console | None = None,
                 ) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr for multi-file work; yields ``advance(item_name)``.

    A single item gets no bar (nothing to watch).
    """
    if total <= 1:
        yield lambda _name: None
        return
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[item]}"), TimeElapsedColumn(),
                        console=console or Console(stderr=True), transient=False)
    with progress:
        task = progress.add_task(label, total=total, item="")

        def advance(name: str) -> None:
            progress.update(task, advance=1, item=name)

        yield advance


def print_build_summary(settings: Settings, report: BuildReport,
                        console: Console | None = None) -> None:
    """Where the TEI files are, and a table: documents, paragraphs, words, mentions by type."""
    console = console or Console()
    table = Table(title="Archive", title_justify="left")
    table.add_column("document")
    table.add_column("paragraphs", justify="right")
    table.add_column("words", justify="right")
    for kind in TYPES:
        table.add_column(kind, justify="right", style=COLOURS[kind])
    totals = {kind: 0 for kind in TYPES}
    for doc in report.documents:
        table.add_row(doc.id, str(doc.paragraphs), f"{doc.words:,}",
                      *(str(doc.mentions[kind]) for kind in TYPES))
        for kind in TYPES:
            totals[kind] += doc.mentions[kind]
    table.add_section()
    table.add_row(f"{len(report.documents)} documents",
                  str(sum(d.paragraphs for d in report.documents)),
                  f"{sum(d.words for d in report.documents):,}",
                  *(str(totals[kind]) for kind in TYPES), style="bold")
    console.print(table)
    biggest = max(totals.values(), default=0) or 1
    for kind in TYPES:
        bar = "█" * round(40 * totals[kind] / biggest)
        console.print(f"  {kind:<7}[{COLOURS[kind]}]{bar}[/] {totals[kind]}")
    console.print(f"TEI files: {settings.tei_dir.resolve()}")

"""``archive evaluate PATH…`` and ``archive train``: the tagger's quality on tagged TEI, and
fine-tuning its NER on the archive's vetted annotations.

Parsing and printing only; the work is done in :mod:`archive.learn`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ..config import Settings
from ..errors import ArchiveError

TYPES = ("person", "place", "org", "date")


def _files(paths: Sequence[Path]) -> list[Path]:
    """The TEI files named, a directory standing for the ``*.xml`` files in it."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.xml"))
            if not found:
                raise ArchiveError("no .xml files in this directory", str(path))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise ArchiveError("no such file or directory", str(path))
    return files


def _cell(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:.3f}"


def _table(result: dict[str, Any]) -> list[str]:
    head = (f"{'type':8s}{'gold':>6s}  {'':6s}{'pred':>6s}  {'strict P':>8s}{'R':>7s}{'F1':>7s}"
            f"  {'lenient P':>9s}{'R':>7s}{'F1':>7s}")
    lines = [head]
    for kind in (*TYPES, "overall"):
        for system in ("tagger", "spacy"):
            data = result[system]
            row = data["overall"] if kind == "overall" else data["per_type"][kind]
            s, le = row["strict"], row["lenient"]
            gold = f"{row['gold']:>6d}" if system == "tagger" else " " * 6
            name = kind if system == "tagger" else ""
            lines.append(f"{name:8s}{gold}  {system:6s}{row['predicted']:>6d}  "
                         f"{_cell(s['precision']):>8s}{_cell(s['recall']):>7s}"
                         f"{_cell(s['f1']):>7s}  {_cell(le['precision']):>9s}"
                         f"{_cell(le['recall']):>7s}{_cell(le['f1']):>7s}")
    return lines


@click.command("evaluate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "format_", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="A table, or all figures as one JSON object.")
@click.pass_obj
def evaluate_command(settings: Settings, paths: tuple[Path, ...], format_: str) -> None:
    """Score the tagger against the tags of tagged TEI files (PATH: files or directories).

    The files' persName/placeName/orgName/date tags are the gold; their text, without those
    tags, is tagged again by the archive's tagger (the data directory's registry and trained
    model, each document's own date as context) and by bare spaCy. Prints strict and lenient
    precision, recall and F1 by type.
    """
    from tei.parse import parse_tei

    from ..annotate import Recogniser, document_date, load_nlp
    from ..learn import evaluate_documents, text_of_document
    from ..registry import load_registry

    files = _files(paths)
    trees = [parse_tei(path) for path in files]
    recogniser = Recogniser.for_archive(load_registry(settings), settings)
    tagger, spacy = evaluate_documents([text_of_document(tree) for tree in trees],
                                       recogniser.recognise, load_nlp(),
                                       [document_date(tree) for tree in trees])
    model = recogniser.components["ner"]
    result = {"documents": [str(p) for p in files], "model": model.ident,
              "tagger": tagger.as_dict(), "spacy": spacy.as_dict()}
    if format_ == "json":
        click.echo(json.dumps(result, indent=2))
        return
    gold = tagger.overall().gold
    click.echo(f"{len(files)} document(s), {gold} gold mention(s); tagger with model "
               f"{model.ident} {model.version}, beside bare spaCy en_core_web_sm")
    for line in _table(result):
        click.echo(line)


@click.command("train")
@click.option("--from", "sources", multiple=True, type=click.Path(path_type=Path),
              help="Tagged TEI (a file, or a directory of them) to learn from besides the "
                   "archive's own; repeatable.")
@click.option("--epochs", type=click.IntRange(1, 1000), default=5, show_default=True,
              help="Passes over the examples.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Random seed: the same data and seed give the same model.")
@click.pass_obj
def train_command(settings: Settings, sources: tuple[Path, ...], epochs: int, seed: int) -> None:
    """Fine-tune the NER on the archive's vetted annotations; tagging then uses the model.

    Learns from the imported editions' tags, the tags editors made or corrected in the
    archive's own documents (those without a machine's @resp) and the --from files, with
    rehearsal on other text so the model keeps what it knew. Writes DATA/models/ner-<n>/ and
    makes it the current model (DATA/models/current).
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from ..learn import collect, train

    extra = _files(sources)
    data = collect(settings, extra)  # fails early, before the model loads, on bad input
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), transient=True,
                  console=Console(stderr=True)) as bar:
        task = bar.add_task("training", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        trained = train(settings, extra, epochs=epochs, seed=seed, progress=advance, data=data)
    click.echo(f"trained {trained.name}: {trained.examples} blocks from {trained.documents} "
               f"document(s), {trained.rehearsal} rehearsal blocks, {epochs} epochs, seed {seed}"
               f"; written to {trained.path}, now the current model")

"""``archive tag FILE... | DIR``: print the person/place/org/date mentions of source files.

Reads each file, runs the recogniser on its blocks with the data directory's registry (or the
bundled sample registry), maps every mention back to offsets in the source text and prints one
JSON object per mention (the evaluation format of ../shared/eval). The recogniser (its model)
is loaded once for all the files. Writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..config import Settings
from ..errors import ArchiveError
from ..model import Block, Mention, Source

if TYPE_CHECKING:
    from ..annotate import Recogniser

DATE_FIELDS = (("when", "when"), ("from_", "from"), ("to", "to"),
               ("not_before", "notBefore"), ("not_after", "notAfter"))


def source_offsets(block: Block, start: int, end: int) -> tuple[int, int] | None:
    """Map ``[start, end)`` of a block's text to offsets in the source text.

    :param block: the block.
    :param start: offset into ``block.text``.
    :param end: end offset into ``block.text``.
    :return: the source offsets, or None when the characters do not stand contiguously in the
        source (a span without offset, or a gap between two spans, e.g. removed markup).
    """
    pieces: list[tuple[int, int]] = []
    position = 0
    for span in block.spans:
        low, high = position, position + len(span.text)
        position = high
        if high <= start or low >= end:
            continue
        if span.start is None:
            return None
        pieces.append((span.start + max(start, low) - low, span.start + min(end, high) - low))
    if not pieces:
        return None
    for (_, previous_end), (next_start, _) in zip(pieces, pieces[1:], strict=False):
        if previous_end != next_start:
            return None
    return pieces[0][0], pieces[-1][1]


def mention_records(source: Source, mentions: Sequence[Sequence[Mention]]) -> list[dict[str, Any]]:
    """The mentions of a source as evaluation records, sorted by start offset.

    :param source: the source the blocks came from.
    :param mentions: per block, the recogniser's mentions.
    :return: dicts ``{"doc", "start", "end", "text", "type", "key"? | date fields}``.
    """
    doc = Path(source.path).stem if source.path else source.metadata.id
    records: list[dict[str, Any]] = []
    for block, found in zip(source.blocks, mentions, strict=True):
        for m in found:
            where = source_offsets(block, m.start, m.end)
            if where is None:
                continue
            start, end = where
            record: dict[str, Any] = {"doc": doc, "start": start, "end": end,
                                      "text": source.text[start:end], "type": m.type}
            if m.type != "date":
                if m.key:
                    record["key"] = m.key
            else:
                for attribute, name in DATE_FIELDS:
                    value = getattr(m, attribute)
                    if value:
                        record[name] = value
                if m.inferred:
                    record["inferred"] = True
            records.append(record)
    records.sort(key=lambda r: (r["start"], r["end"]))
    return records


def _lines(records: Sequence[dict[str, Any]], output: str) -> Iterator[str]:
    for r in records:
        if output == "jsonl":
            yield json.dumps(r, ensure_ascii=False)
        else:
            extra = r.get("key") or " ".join(
                f"{name}={r[name]}" for _, name in DATE_FIELDS if name in r)
            yield f"{r['start']:>7} {r['end']:>7}  {r['type']:<6} {r['text']}  {extra}".rstrip()


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "output", type=click.Choice(["jsonl", "text"]), default="jsonl",
              show_default=True, help="One JSON object per mention, or aligned text lines.")
@click.option("--source-format", type=click.Choice(["text", "markdown", "html"]), default=None,
              help="Read every file as this format (default: from its extension).")
@click.option("--date", "document_date", metavar="YYYY[-MM[-DD]]", default=None,
              help="The document's own date, for dates written without year or month "
                   "(default: the date in its metadata, if any).")
@click.pass_obj
def tag(settings: Settings, files: tuple[Path, ...], output: str, source_format: str | None,
        document_date: str | None) -> None:
    """Print the person/place/org/date mentions of each FILE (or each source file in DIR, its
    folders included: .txt, .md, .html), one per line, by offset.

    With several files (or a folder) each JSON line also names its ``file``, and the text
    output heads each file's lines with ``==> FILE <==``. A file that cannot be read is one
    line on standard error and the others are still tagged; the exit status is then 1.
    """
    from ..annotate import DateContext, Recogniser
    from ..registry import load_registry

    context = DateContext.of(document_date)
    if document_date is not None and context.year is None:
        raise ArchiveError(f"--date {document_date!r} is not YYYY, YYYY-MM or YYYY-MM-DD",
                           str(files[0]) if len(files) == 1 else None)
    several = len(files) > 1 or any(path.is_dir() for path in files)
    chosen = list(source_files(files)) if several else list(files)
    if not chosen:
        raise ArchiveError("no source files (.txt, .md, .html) to tag",
                           ", ".join(map(str, files)))
    recogniser = Recogniser.for_archive(load_registry(settings), settings)
    failed = 0
    for file in chosen:
        try:
            lines = list(_tag_file(recogniser, file, output, source_format, document_date,
                                   several))
        except ArchiveError as error:
            if not several:
                raise
            click.echo(f"archive: error: {error}", err=True)
            failed += 1
            continue
        if several and output == "text":
            click.echo(f"==> {file} <==")
        for line in lines:
            click.echo(line)
    if failed:
        raise SystemExit(1)


def _tag_file(recogniser: Recogniser, file: Path, output: str, source_format: str | None,
              document_date: str | None, named: bool) -> Iterator[str]:
    # the lines of one file; ``named``: each JSON line says which file it is from
    from ..annotate import DateContext
    from ..ingest import read_source

    source = read_source(file, source_format)
    context = DateContext.of(document_date if document_date is not None
                             else source.metadata.date)
    mentions = recogniser.recognise([block.text for block in source.blocks], context=context)
    records = mention_records(source, mentions)
    if named:
        records = [{"file": str(file), **record} for record in records]
    yield from _lines(records, output)


def source_files(paths: Sequence[Path]) -> Iterator[Path]:
    """The files given, each folder replaced by the source files in it and its folders (by
    extension, in name order; hidden files and folders left out)."""
    from ..ingest import SOURCE_FORMATS

    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for found in sorted(path.rglob("*")):
            relative = found.relative_to(path).parts
            if found.suffix.lower() in SOURCE_FORMATS and found.is_file() \
                    and not any(part.startswith(".") for part in relative):
                yield found

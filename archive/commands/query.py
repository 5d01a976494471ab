"""``archive reindex``, ``archive facets`` and ``archive query``: parsing and printing only."""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import TYPE_CHECKING, Any

import click

from ..config import Settings
from ..errors import QueryError

if TYPE_CHECKING:  # (`archive facets` does not wait for the XPath engine)
    from ..xpath import QueryResult

#: Files (re)indexed before a progress bar is worth showing.
PROGRESS_THRESHOLD = 20


@click.command()
@click.option("--full", is_flag=True, help="Drop the index and read every file again.")
@click.pass_obj
def reindex(settings: Settings, full: bool) -> None:
    """Bring the index up to date with the TEI files (only changed files are read)."""
    from rich.progress import Progress

    from ..index import update_index

    # redrawn by the callback, not by rich's refresh thread: a process running one thread
    # starts its indexing workers by fork, at once (see archive.index.workers)
    with Progress(transient=True, auto_refresh=False, disable=not sys.stderr.isatty()) as bar:
        task = None

        def progress(done: int, total: int) -> None:
            nonlocal task
            if total <= PROGRESS_THRESHOLD:
                return
            if task is None:
                task = bar.add_task("indexing", total=total)
            bar.update(task, completed=done, refresh=True)

        report = update_index(settings, full=full, progress=progress)
    click.echo(f"indexed {report.added} new, {report.updated} changed, removed {report.removed},"
               f" {report.unchanged} unchanged ({report.seconds:.2f} s"
               f"{', full rebuild' if report.full else ''})")


@click.command()
@click.option("--select", "selects", multiple=True, metavar="FACET=VALUE",
              help="Keep documents with this value (repeat: AND across facets, OR within one).")
@click.option("--text", default=None, help="Words that must occur in one passage.")
@click.option("--from", "date_from", default=None, help="Mentions a date on or after (ISO).")
@click.option("--to", "date_to", default=None, help="Mentions a date on or before (ISO).")
@click.option("--limit", default=20, show_default=True, help="Documents and passages listed.")
@click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_obj
def facets(settings: Settings, selects: tuple[str, ...], text: str | None,
           date_from: str | None, date_to: str | None, limit: int, format_: str) -> None:
    """Faceted lookup: matching documents and the count of every facet value."""
    from ..index import index_exists, lookup

    selections: dict[str, list[str]] = {}
    for select in selects:
        name, sep, value = select.partition("=")
        if not sep or not name or not value:
            raise QueryError(f"--select takes FACET=VALUE, not {select!r}")
        selections.setdefault(name.strip(), []).append(value.strip())
    if not index_exists(settings):
        where = "the index database" if settings.index_url else settings.index_path
        raise QueryError(f"no index at {where}: run `archive reindex` first")
    result = lookup(settings, selections, text, limit, date_from=date_from, date_to=date_to)
    if format_ == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"{result['count']} documents")
    for document in result["documents"]:
        click.echo(f"  {document['id']}  {document['title'] or ''}")
    if "passages" in result:
        click.echo(f"{result['passage_count']} passages")
        for passage in result["passages"]:
            words = " ".join(passage["text"].split())
            click.echo(f"  {passage['doc']}#{passage['target']}  {words[:100]}")
    for facet in result["facets"]:
        if not facet["results"]:
            continue
        click.echo(f"{facet['label']} ({facet['name']})")
        for item in facet["results"]:
            mark = "*" if item["selected"] else " "
            label = item["label"] if item["label"] == item["value"] else \
                f"{item['label']} [{item['value']}]"
            click.echo(f" {mark}{item['count']:6d}  {label}")
        if facet["truncated"]:
            click.echo("        …")
    if result["facets_failed"]:
        click.echo(f"not counted within the facet time limit: {', '.join(result['facets_failed'])}")


@click.command()
@click.argument("xpath")
@click.option("--format", "format_", type=click.Choice(["text", "json", "csv", "xml"]),
              default="text", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="Hits reported before the query stops (default $ARCHIVE_QUERY_LIMIT).")
@click.option("--timeout", type=click.FloatRange(min=0), default=None,
              help="Seconds before the query stops (default $ARCHIVE_QUERY_TIMEOUT).")
@click.option("--ns", "namespaces", multiple=True, metavar="PREFIX=URI",
              help="Bind a namespace prefix (tei and xml are bound).")
@click.option("--corpus", is_flag=True,
              help="Ask the expression once of the whole corpus, its context the collection "
                   "of documents: count(distinct-values(//tei:placeName/@ref)) is one number.")
@click.pass_obj
def query(settings: Settings, xpath: str, format_: str, limit: int | None,
          timeout: float | None, namespaces: tuple[str, ...], corpus: bool) -> None:
    """Evaluate an XPath 3.1 expression on every document of the archive (or, with --corpus,
    once on all of them together)."""
    from ..search import run_query

    bound = {}
    for binding in namespaces:
        prefix, sep, uri = binding.partition("=")
        if not sep or not prefix or not uri:
            raise QueryError(f"--ns takes PREFIX=URI, not {binding!r}")
        bound[prefix] = uri
    result = run_query(settings, xpath, namespaces=bound, limit=limit, timeout=timeout,
                       corpus=corpus)
    click.echo(FORMATS[format_](result), nl=False)
    if result.message:
        click.echo(f"archive: {result.message}", err=True)


def _text(result: QueryResult) -> str:
    lines = []
    for hit in result.hits:
        where = f"{hit.doc}#{hit.target}" if hit.target else hit.doc or "(corpus)"
        shown = hit.context if hit.kind in ("element", "text", "attribute") else hit.value
        name = f" {hit.name}" if hit.name else ""
        if hit.kind == "attribute":
            name += f"={hit.value!r}"
        lines.append(f"{where}  [{hit.kind}{name}]  {' '.join(shown.split())}")
    more = f" (showing {len(result.hits)})" if len(result.hits) < result.count else ""
    lines.append(f"{result.count} results{more} in {result.elapsed_ms:.0f} ms")
    return "\n".join(lines) + "\n"


def _json(result: QueryResult) -> str:
    return json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n"


def _csv(result: QueryResult) -> str:
    from ..interchange import spreadsheet_safe  # no cell a spreadsheet would run

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["doc", "target", "kind", "name", "value", "context"])
    for hit in result.hits:
        writer.writerow([spreadsheet_safe(cell) for cell in (
            hit.doc, hit.target or "", hit.kind, hit.name or "", hit.value, hit.context)])
    return out.getvalue()


def _xml(result: QueryResult) -> str:
    from lxml import etree

    root = etree.Element("results", query=result.query, count=str(result.count),
                         truncated="true" if result.truncated else "false")
    for hit in result.hits:
        attributes: dict[str, Any] = {"doc": hit.doc, "kind": hit.kind}
        if hit.target:
            attributes["target"] = hit.target
        if hit.name:
            attributes["name"] = hit.name
        element = etree.SubElement(root, "hit", attributes)
        etree.SubElement(element, "value").text = hit.value
        etree.SubElement(element, "context").text = hit.context
    return etree.tostring(root, encoding="unicode", pretty_print=True)


FORMATS = {"text": _text, "json": _json, "csv": _csv, "xml": _xml}

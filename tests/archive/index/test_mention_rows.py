"""The mentions' rows are kept without a rowid, clustered by (document, passage), with one
index by key (issue 21: the mention tables and their two indexes were 0.33x the TEI), and give
what they gave: every mention of a document in the document's order (a name inside a name
before it, a name outside any passage), with its passage and offsets, on both engines, after a
rebuild and after an update."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from archive.config import Settings
from archive.index import entity_mentions, mentions_of, update_index
from archive.index.rows import extract

#: Names inside names (their rows come before the name holding them), names in passages
#: holding passages, and an empty name outside any passage.
NESTED = Path(__file__).parents[2] / "fixtures" / "mentions" / "nested_mentions.xml"


def _expected(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Each document's mentions as the indexer reads them from its file, in its order: what
    the export gives (passage address, type, ref, surface, the dates as written)."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    for path in settings.tei_dir.glob("*.xml"):
        rows = extract(path, path.read_bytes(), ())
        found[rows.id] = [(passage, kind, ref, surface, *dates[:5])
                          for passage, kind, ref, surface, _, _, dates in rows.mentions]
    return found


def _exported(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    found: dict[str, list[tuple[Any, ...]]] = {}
    for doc, *rest in mentions_of(settings):
        found.setdefault(doc, []).append(tuple(rest))
    return found


def _places(settings: Settings, ref: str) -> list[tuple[str, str | None, int, int, str]]:
    """(document, passage address, start, end, surface) of each mention of ``ref`` in the
    files, sorted."""
    places = []
    for path in settings.tei_dir.glob("*.xml"):
        rows = extract(path, path.read_bytes(), ())
        places += [(rows.id, passage, start, end, surface)
                   for passage, _, found, surface, start, end, _ in rows.mentions if found == ref]
    return sorted(places, key=repr)


def _check(settings: Settings) -> None:
    expected = _expected(settings)
    assert _exported(settings) == {doc: rows for doc, rows in expected.items() if rows}
    for ref in ("moscow", "leon-trotsky"):
        shown = entity_mentions(settings, ref, 1000)
        assert sorted(((row["doc"], row["target"], row["start"], row["end"], row["surface"])
                       for row in shown), key=repr) == _places(settings, ref)


@pytest.mark.usefixtures("index_engine")
def test_mentions_keep_the_documents_order_and_places(corpus: Settings) -> None:
    shutil.copy(NESTED, corpus.tei_dir / NESTED.name)
    update_index(corpus, full=True)
    nested = _exported(corpus)["doc-nested-mentions"]
    # (the order is the document's, not that of the passages and offsets)
    assert [row[:2] for row in nested[:3]] == [
        ("front.docTitle", "person"), ("h1", "place"), ("h1", "org")]
    assert nested[-1][0] is None  # outside any passage
    _check(corpus)
    # an update: a document changed (its rows written anew), the others kept
    path = corpus.tei_dir / NESTED.name
    path.write_text(path.read_text(encoding="utf-8").replace(
        "<persName ref=\"#joseph-stalin\">Stalin</persName> answered",
        "<persName ref=\"#joseph-stalin\">Stalin</persName> of <placeName ref=\"#georgia\">"
        "<placeName ref=\"#tiflis\">Tiflis</placeName> in Georgia</placeName> answered"),
        encoding="utf-8")
    update_index(corpus)
    assert ("p2", "place", "tiflis") in [row[:3] for row in _exported(corpus)[
        "doc-nested-mentions"]]
    _check(corpus)


def test_the_mentions_rows_have_no_rowid_and_one_index(corpus: Settings) -> None:
    """SQLite's layout (PostgreSQL keeps its own): rows clustered by (doc, passage, seq),
    indexed by key alone."""
    update_index(corpus, full=True)
    with closing(sqlite3.connect(corpus.index_path)) as db:
        with pytest.raises(sqlite3.OperationalError, match="rowid"):
            db.execute("SELECT rowid FROM mention_rows")
        indexes = [name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'mention_rows'"
            " AND sql IS NOT NULL")]
        assert indexes == ["mention_rows_key"]


@pytest.mark.usefixtures("index_engine")
def test_a_rebuild_on_workers_gives_the_same_mentions_and_what_is_named_beside(
        corpus: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild on workers, a few documents a scratch database, the nested document past the
    first: its rows' passages moved, the mention outside any passage kept outside (passage 0
    is no passage to move); what is named beside each entity (the postings' arrays) is what
    the mentions' rows give in SQL."""
    from archive.index import companions, update, workers, years_beside
    from archive.index.db import reader
    from archive.index.entities import _COMPANIONS, _YEARS, _for

    shutil.copy(NESTED, corpus.tei_dir / "z_nested_mentions.xml")
    monkeypatch.setattr(workers, "PARALLEL_MIN", 2)
    monkeypatch.setattr(update, "CHUNK", 2)
    update_index(corpus, full=True)
    _check(corpus)
    db = reader(corpus)
    refs = sorted({row[2] for rows in _expected(corpus).values() for row in rows if row[2]})
    for ref in refs:
        assert companions(corpus, ref) == [
            dict(zip(("id", "type", "passages"), row, strict=True))
            for row in db.execute(_for(db, _COMPANIONS), (ref, ref)).fetchall()], ref
        assert years_beside(corpus, ref) == [
            (int(year), int(count)) for year, count in db.execute(_for(db, _YEARS), (ref,))], ref

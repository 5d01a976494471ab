"""Declared facets and lookups: AND/OR selections, full text, dates, extension, the CLI."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.config import Settings
from archive.errors import ArchiveError, QueryError
from archive.index.facets import load_facets
from archive.index.lookup import fts_query, lookup
from archive.index.update import update_index

#: Each test runs on the SQLite index and on PostgreSQL (tests/postgres.py).
pytestmark = pytest.mark.usefixtures("index_engine")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


@pytest.fixture
def settings(indexed_corpus: Settings) -> Settings:
    return indexed_corpus


def facet(result: dict, name: str) -> list[tuple[str, str, int, bool]]:
    found = next(f for f in result["facets"] if f["name"] == name)
    return [(r["value"], r["label"], r["count"], r["selected"]) for r in found["results"]]


def ids(result: dict) -> list[str]:
    return [document["id"] for document in result["documents"]]


def test_shipped_facets(settings: Settings) -> None:
    assert [(f.name, f.level, f.labels) for f in load_facets(settings)] == [
        ("person", "document", "registry"), ("place", "document", "registry"),
        ("org", "document", "registry"), ("year", "document", None),
        ("decade", "document", None), ("author", "document", None),
        ("publication", "document", None), ("kind", "document", None),
        ("passage_person", "passage", "registry")]


def test_nothing_selected_counts_every_document(settings: Settings) -> None:
    result = lookup(settings, {})
    assert result["count"] == 4
    assert "passages" not in result
    assert facet(result, "place") == [
        ("moscow", "Moscow", 2, False), ("paris", "Paris", 2, False),
        ("barcelona", "Barcelona", 1, False), ("leningrad", "Leningrad", 1, False),
        ("versailles", "Versailles", 1, False)]
    assert facet(result, "year") == [(str(year), str(year), 1, False) for year in (
        1871, 1917, 1923, 1924, 1925, 1926, 1927, 1936, 1937, 1938, 1939)]
    assert facet(result, "decade") == [
        ("1870s", "1870s", 1, False), ("1910s", "1910s", 1, False),
        ("1920s", "1920s", 1, False), ("1930s", "1930s", 1, False)]
    assert facet(result, "publication") == [
        ("Against the Current", "Against the Current", 2, False),
        ("Encyclopedia of Insurrection", "Encyclopedia of Insurrection", 1, False)]
    assert facet(result, "passage_person")[0] == ("leon-trotsky", "Leon Trotsky", 4, False)


def test_values_within_a_facet_are_ored(settings: Settings) -> None:
    result = lookup(settings, {"place": ["paris", "leningrad"]})
    assert ids(result) == ["doc-left-opposition", "doc-paris-commune", "doc-spanish-revolution"]
    # the facet's own counts ignore its own selection: they show what a wider OR would add
    assert facet(result, "place")[:2] == [("moscow", "Moscow", 2, False),
                                          ("paris", "Paris", 2, True)]
    assert facet(result, "kind") == [("essay", "essay", 2, False),
                                     ("encyclopedia article", "encyclopedia article", 1, False)]


def test_facets_are_anded(settings: Settings) -> None:
    result = lookup(settings, {"place": ["paris"], "kind": ["essay"]})
    assert ids(result) == ["doc-spanish-revolution"]
    assert facet(result, "kind") == [("encyclopedia article", "encyclopedia article", 1, False),
                                     ("essay", "essay", 1, True)]
    assert facet(result, "org") == [("comintern", "Communist International", 1, False),
                                    ("poum", "POUM", 1, False)]


def test_a_selected_value_without_matches_is_still_listed(settings: Settings) -> None:
    result = lookup(settings, {"person": ["nobody"]})
    assert result["count"] == 0
    assert ("nobody", "nobody", 0, True) in facet(result, "person")


def test_full_text_returns_passages(settings: Settings) -> None:
    result = lookup(settings, {"kind": ["essay"]}, "Trotsky")
    assert ids(result) == ["doc-left-opposition", "doc-spanish-revolution"]
    assert result["passage_count"] == 4
    assert [(p["doc"], p["target"]) for p in result["passages"]] == [
        ("doc-left-opposition", "p2"), ("doc-left-opposition", "p4"),
        ("doc-left-opposition", "i1"), ("doc-spanish-revolution", "p3")]
    # passage facets count the matching passages
    assert facet(result, "passage_person") == [
        ("leon-trotsky", "Leon Trotsky", 4, False)]


def test_passage_facet_selects_passages(settings: Settings) -> None:
    result = lookup(settings, {"passage_person": ["karl-marx"]})
    assert ids(result) == ["doc-paris-commune"]
    assert [(p["doc"], p["target"], p["element"]) for p in result["passages"]] == [
        ("doc-paris-commune", "p3", "p"), ("doc-paris-commune", "q1", "quote")]


@pytest.mark.parametrize(("text", "expected"), [
    ("Trotsky", '"Trotsky"'),
    ("left opposition", '"left" "opposition"'),
    ('say "AND" (OR', '"say" """AND""" "(OR"'),
    ("revol*", '"revol"*'),
    ("  ", None),
    (None, None),
])
def test_full_text_input_is_quoted(text: str | None, expected: str | None) -> None:
    assert fts_query(text) == expected


@pytest.mark.parametrize(("text", "count"), [
    ("revol*", 3), ('NEAR( "AND" OR *', 0), ("moscow barcelona", 1), ("Barcélona", 1)])
def test_full_text_never_raises(settings: Settings, text: str, count: int) -> None:
    assert lookup(settings, {}, text)["count"] == count


@pytest.mark.parametrize(("date_from", "date_to", "expected"), [
    ("1924-10", "1924-10", ["doc-left-opposition"]),  # inside late 1924 only
    ("1924-06", "1924-08", ["doc-left-opposition"]),  # inside 1923 to 1927
    ("1871-05-15", "1871-05-15", ["doc-paris-commune"]),
    ("1937-05-09", "1937-06", ["doc-spanish-revolution"]),  # 1936 to 1939, not early May 1937
    ("1940", None, []),
    (None, "1871-03-17", []),
    ("1800", "1900", ["doc-paris-commune"]),
])
def test_dates_filter_by_overlap(settings: Settings, date_from: str | None,
                                 date_to: str | None, expected: list[str]) -> None:
    assert ids(lookup(settings, {}, date_from=date_from, date_to=date_to)) == expected


def test_unknown_facet_and_bad_date_are_query_errors(settings: Settings) -> None:
    with pytest.raises(QueryError, match="no facet named 'colour'"):
        lookup(settings, {"colour": ["red"]})
    with pytest.raises(QueryError, match="not an ISO date: 'spring'"):
        lookup(settings, {}, date_from="spring")


def test_a_facet_added_in_the_data_directory_appears_after_reindex(settings: Settings) -> None:
    (settings.data_dir / "facets.toml").write_text(
        '[[facet]]\nname = "tagger"\nlabel = "Tagged by"\n'
        "xpath = \"//tei:text//@resp ! substring-after(., '#')\"\n", encoding="utf-8")
    assert update_index(settings).full  # new declarations: everything is read again
    result = lookup(settings, {"tagger": ["archive-ner"]})
    assert ids(result) == ["doc-spanish-revolution"]
    assert facet(result, "tagger") == [
        ("archive-dates", "archive-dates", 3, False),
        ("archive-registry", "archive-registry", 3, False),
        ("archive-ner", "archive-ner", 1, True)]


@pytest.mark.parametrize(("content", "message"), [
    ("[[facet]\n", "not valid TOML"),
    ('[[facet]]\nname = "Bad Name"\nxpath = "//x"\n', "name must be lowercase"),
    ('[[facet]]\nname = "x"\n', "facet 'x' has no xpath"),
    ('[[facet]]\nname = "x"\nlevel = "corpus"\nxpath = "//tei:p"\n', "level must be"),
    ('[[facet]]\nname = "x"\nxpath = "//tei:p["\n', "facet 'x': XPath error XPST0003"),
    ('[[facet]]\nname = "x"\nxpth = "//tei:p"\n', "unknown keys xpth"),
])
def test_bad_declarations_are_reported(settings: Settings, content: str, message: str) -> None:
    (settings.data_dir / "facets.toml").write_text(content, encoding="utf-8")
    with pytest.raises(ArchiveError, match=message):
        load_facets(settings)


def test_cli_facets_json(settings: Settings) -> None:
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "facets",
                                      "--select", "org=poum", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["count"], ids(data)) == (1, ["doc-spanish-revolution"])
    assert data["facets"][2] == {
        "name": "org", "label": "Organisation", "level": "document", "truncated": False,
        "value_count": 5,
        "results": [{"value": v, "label": label, "count": n, "selected": v == "poum"}
                    for v, label, n in (
                        ("central-committee", "Central Committee", 1),
                        ("comintern", "Communist International", 1),
                        ("first-international", "First International", 1),
                        ("left-opposition", "Left Opposition", 1), ("poum", "POUM", 1))]}


def test_cli_facets_bad_select_is_one_line(settings: Settings) -> None:
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "facets",
                                      "--select", "org"])
    assert (result.exit_code, result.stderr) == (
        1, "archive: error: --select takes FACET=VALUE, not 'org'\n")


def test_cli_reindex(settings: Settings) -> None:
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "reindex", "--full"])
    assert result.exit_code == 0
    assert result.output.startswith("indexed 4 new, 0 changed, removed 0, 0 unchanged (")


def test_counts_follow_the_index_after_an_update(settings: Settings) -> None:
    assert ids(lookup(settings, {"place": ["paris"]})) == [
        "doc-paris-commune", "doc-spanish-revolution"]
    (settings.tei_dir / "paris_commune.xml").unlink()
    update_index(settings)  # a process's cached postings are reloaded for the new index
    result = lookup(settings, {"place": ["paris"]})
    assert ids(result) == ["doc-spanish-revolution"]
    assert facet(result, "publication") == [
        ("Against the Current", "Against the Current", 1, False)]


def test_search_passages_ranks_marks_and_keeps_to_the_selection(settings: Settings) -> None:
    from archive.index.lookup import MARK_END, MARK_START, search_passages

    total, hits = search_passages(settings, {}, "Trotsky")
    assert total == len(hits) >= 4
    assert all(f"{MARK_START}Trotsky{MARK_END}" in hit["snippet"] for hit in hits)
    kept, within = search_passages(settings, {"kind": ["essay"]}, "Trotsky", limit=2)
    # the same passages lookup finds for that selection, two of them shown
    assert kept == lookup(settings, {"kind": ["essay"]}, "Trotsky")["passage_count"] == 4
    assert len(within) == 2 and {hit["doc"] for hit in within} <= {
        "doc-left-opposition", "doc-spanish-revolution"}
    assert search_passages(settings, {}, "  ") == (0, [])


def test_facets_past_the_time_limit_are_reported_not_counted(settings: Settings) -> None:
    counted = lookup(settings, {})
    assert counted["facets_failed"] == [] and len(counted["facets"]) == len(
        load_facets(settings))
    none_left = lookup(dataclasses.replace(settings, facet_time_limit_ms=0), {})
    assert none_left["facets"] == []
    assert none_left["facets_failed"] == [facet.name for facet in load_facets(settings)]
    assert none_left["count"] == counted["count"]  # the documents still match


def _archive(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive", "--data", str(settings.data_dir),
                           *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


@pytest.mark.parametrize(("xpath", "limit", "message"), [
    # backtracking without end in Python's re (which nothing interrupts inside one match)
    ("//tei:sourceDesc//tei:p ! (if (matches(string(.), '(a+)+$')) then 'yes' else 'no')",
     {"ARCHIVE_FACET_DOCUMENT_SECONDS": "1"},
     "took more than 1 s (ARCHIVE_FACET_DOCUMENT_SECONDS) on this document"),
    # a sequence of gigabytes
    ("//tei:sourceDesc//tei:p[starts-with(., 'aaa')] ! string-join((1 to 100000000) ! 'abc')",
     {"ARCHIVE_FACET_MEMORY_MB": "300"},
     "needed more than 300 MB of memory (ARCHIVE_FACET_MEMORY_MB) on this document"),
])
def test_a_facet_past_its_limits_fails_in_one_line_and_the_index_stays(
        settings: Settings, xpath: str, limit: dict[str, str], message: str) -> None:
    note = settings.tei_dir / "untitled_note.xml"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "<p>Written for the archive.</p>", f"<p>{'a' * 40}b</p>"), encoding="utf-8")
    assert update_index(settings).updated == 1
    before = rows_of(settings)
    (settings.data_dir / "facets.toml").write_text(
        f'[[facet]]\nname = "costly"\nlabel = "Costly"\nxpath = "{xpath}"\n', encoding="utf-8")
    failed = _archive(settings, "reindex", **limit)
    assert failed.returncode == 1
    assert failed.stderr == f"archive: error: {note}: facet 'costly' {message}; the index is " \
                            "unchanged\n"
    assert rows_of(settings) == before  # the old index, whole (the rebuild was in a new file)
    assert not list(settings.data_dir.glob(".index*"))
    (settings.data_dir / "facets.toml").unlink()
    assert _archive(settings, "reindex", **limit).returncode == 0


def rows_of(settings: Settings) -> list[tuple[object, ...]]:
    from archive.index.db import read_only

    db = read_only(settings.index_path)  # (with the function facet_values is read through)
    try:
        return db.execute("SELECT id, hash, (SELECT COUNT(*) FROM facet_values WHERE doc ="
                          " documents.doc) FROM documents ORDER BY id").fetchall()
    finally:
        db.close()

"""The facet postings stored in the index (archive.index.postings): lookups on them count what
plain SQL counts, stay right through incremental updates, and a fresh process reads only what
its lookup needs."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from archive.config import Settings
from archive.index import lookup, update_index
from archive.index.db import connect
from benchmarks.corpus import FIXTURES, build_corpus

#: Each test runs on the SQLite index and on PostgreSQL (tests/postgres.py).
pytestmark = pytest.mark.usefixtures("index_engine")

#: Facets whose counts are compared, document and passage facets.
COUNTED = ("kind", "decade", "person", "place", "passage_person")


def _sql(settings: Settings, sql: str, *params: object) -> list[tuple]:
    db = connect(settings)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def _top(settings: Settings, facet: str, rank: int) -> str:
    return _sql(settings, "SELECT value FROM facet_totals WHERE facet = ?"
                          " ORDER BY count DESC, value LIMIT 1 OFFSET ?", facet, rank)[0][0]


def _level(db: sqlite3.Connection, facet: str) -> str:
    return db.execute("SELECT DISTINCT level FROM fv WHERE facet = ?", (facet,)).fetchone()[0]


def expected(db: sqlite3.Connection, selections: dict[str, list[str]], text: str | None,
             facet: str) -> list[tuple[str, int]]:
    """A facet's counts under the selections but its own, by plain SQL over facet_values
    (copied into the table ``fv`` of ``db``: see :func:`check`)."""
    docs: list[tuple[str, list[str]]] = [("SELECT doc FROM documents", [])]
    passages: list[tuple[str, list[str]]] = []
    for name, values in selections.items():
        if name == facet:
            continue
        found = (f"SELECT {'passage' if _level(db, name) == 'passage' else 'doc'}"
                 f" FROM fv WHERE facet = '{name}'"
                 f" AND value IN ({', '.join('?' * len(values))})", values)
        (passages if _level(db, name) == "passage" else docs).append(found)
    if text:
        passages.append(("SELECT rowid FROM passage_text WHERE passage_text MATCH ?", [text]))
    in_passages = " INTERSECT ".join(sql for sql, _ in passages)
    passage_params = [value for _, values in passages for value in values]
    if passages:  # the documents holding a matching passage
        docs.append((f"SELECT doc FROM passages WHERE passage IN ({in_passages})",
                     passage_params))
    condition = f"doc IN ({' INTERSECT '.join(sql for sql, _ in docs)})"
    params = [value for _, values in docs for value in values]
    if passages and _level(db, facet) == "passage":
        condition += f" AND passage IN ({in_passages})"
        params += passage_params
    return db.execute("SELECT value, COUNT(*) AS n FROM fv WHERE facet = ? AND "
                      f"{condition} GROUP BY value ORDER BY n DESC, value",
                      (facet, *params)).fetchall()


def counted(result: dict, facet: str) -> list[tuple[str, int]]:
    found = next(f for f in result["facets"] if f["name"] == facet)
    return [(r["value"], r["count"]) for r in found["results"] if r["count"]]


def check(settings: Settings, selections: dict[str, list[str]], text: str | None = None) -> None:
    result = lookup(settings, selections, text, facet_size=10_000)
    db = connect(settings)
    try:
        # the view unpacks every document's facet record (schema 13): once for the statements
        db.execute("CREATE TEMP TABLE fv AS SELECT * FROM facet_values")
        for facet in COUNTED:
            assert counted(result, facet) == expected(db, selections, text, facet), \
                (selections, text, facet)
    finally:
        db.close()


@pytest.fixture
def generated(tmp_path: Path) -> Settings:
    """60 documents assembled from the fixture corpus (many values, shared between them)."""
    build_corpus(tmp_path / "tei", 60, sorted(FIXTURES.glob("*.xml")))
    settings = Settings(data_dir=tmp_path)
    update_index(settings)
    return settings


def selections(settings: Settings) -> list[tuple[dict[str, list[str]], str | None]]:
    return [
        ({"kind": [_top(settings, "kind", 0)]}, None),
        ({"person": [_top(settings, "person", 0), _top(settings, "person", 5)]}, None),
        ({"kind": [_top(settings, "kind", 1)], "decade": [_top(settings, "decade", 0)]}, None),
        ({"passage_person": [_top(settings, "passage_person", 1)]}, None),
        ({"passage_person": [_top(settings, "passage_person", 0)],
          "kind": [_top(settings, "kind", 0)]}, None),
        ({"kind": [_top(settings, "kind", 0)]}, "revolution"),
        ({"person": ["no-such-person"]}, None),
    ]


def test_lookups_count_what_sql_counts(generated: Settings) -> None:
    for chosen, text in selections(generated):
        check(generated, chosen, text)


def test_lookups_after_an_incremental_update_count_what_sql_counts(generated: Settings) -> None:
    chosen = selections(generated)
    check(generated, *chosen[0])  # this process has read the postings of the first index
    tei = generated.tei_dir
    (tei / "bench-00003.xml").unlink()
    changed = tei / "bench-00007.xml"
    changed.write_text(changed.read_text(encoding="utf-8").replace(
        "</body>", '<div><p>Named again: <persName ref="#karl-marx">Marx</persName>.</p></div>'
                   "</body>"), encoding="utf-8")
    shutil.copy(tei / "bench-00010.xml", tei / "bench-00099.xml")
    added = tei / "bench-00099.xml"
    added.write_text(added.read_text(encoding="utf-8").replace("bench-00010", "bench-00099"),
                     encoding="utf-8")
    report = update_index(generated)
    assert (report.added, report.updated, report.removed, report.full) == (1, 1, 1, False)
    for selection, text in [*chosen, ({"person": ["karl-marx"]}, None)]:
        check(generated, selection, text)
    again = lookup(generated, {"person": ["karl-marx"]})
    assert "bench-00007" in {row["id"] for row in again["documents"]}
    assert "bench-00003" not in {row["id"] for row in lookup(generated, {}, limit=100)[
        "documents"]}


_FRESH = """
import json, sys
from pathlib import Path
from archive.config import Settings
from archive.index import lookup
from archive.index.db import reader
from archive.index.lookup import postings

settings = Settings(data_dir=Path(sys.argv[1]))
db = reader(settings)
statements = []
trace = getattr(db, "set_trace_callback", lambda _: None)  # (SQLite's alone)
trace(statements.append)
result = lookup(settings, json.loads(sys.argv[2]))
trace(None)
print(json.dumps({"count": result["count"], "statements": statements}))
stored = int(db.execute("SELECT SUM(length(data)) FROM postings").fetchone()[0])
print(json.dumps({"read": postings(db).bytes_read, "stored": stored}))
"""


def test_a_fresh_process_reads_only_the_postings_its_lookup_needs(generated: Settings) -> None:
    chosen = {"person": [_top(generated, "person", 2)]}
    done = subprocess.run([sys.executable, "-c", _FRESH, str(generated.data_dir),
                           json.dumps(chosen)], capture_output=True, text=True, check=False)
    found = json.loads(done.stdout.splitlines()[0])
    assert found["count"] == lookup(generated, chosen)["count"] > 0
    # no row of the facet values or of the passages is read: the stored arrays are
    read_rows = [sql for sql in found["statements"]
                 if "FROM facet_values" in sql or "FROM passages" in sql]
    assert read_rows == []
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[1])
    # of the person facet only its counters and the selected value's documents: less than
    # the whole of what is stored (every facet's arrays, every value's documents)
    assert 0 < found["read"] < found["stored"]
    # a value's documents are read alone (a slice of its facet's array), each once
    from archive.index.db import reader
    from archive.index.lookup import postings

    db = reader(generated)
    index = postings(db)
    facet = index.facets["person"]
    facet.ranks_of(db, [_top(generated, "person", 0)], "docs")  # its values, their offsets
    value = _top(generated, "person", 7)  # a value no lookup here has selected
    rows = _sql(generated, "SELECT COUNT(*) FROM facet_values WHERE facet = 'person'"
                           " AND value = ?", value)[0][0]
    before = index.bytes_read
    assert len(facet.ranks_of(db, [value], "docs")) == rows
    assert index.bytes_read - before == 4 * rows  # int32 document ranks
    facet.ranks_of(db, [value], "docs")
    assert index.bytes_read - before == 4 * rows


def test_archive_facets_does_not_import_the_indexer(generated: Settings) -> None:
    code = ("import sys\nfrom archive.cli import cli\n"
            "try:\n    cli(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "heavy = ('elementpath', 'archive.index.update', 'archive.index.facets',"
            " 'archive.validation', 'archive.curation', 'spacy')\n"
            "print('imported:', *[name for name in heavy if name in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code, "--data", str(generated.data_dir),
                           "facets", "--select", f"kind={_top(generated, 'kind', 0)}"],
                          capture_output=True, text=True, check=True)
    assert "documents" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "imported:"


def test_an_index_of_another_version_asks_for_a_reindex(generated: Settings,
                                                         index_engine: Any) -> None:
    index_engine.execute("UPDATE meta SET value = '7' WHERE key = 'schema'",  # the last version's
                         generated)
    done = subprocess.run([sys.executable, "-m", "archive", "--data", str(generated.data_dir),
                           "facets", "--select", "kind=essay"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"archive: error: {index_engine.where(generated)}: the index was made by another version of"
        " the archive: run `archive reindex`"]
    update_index(generated)  # a schema it does not know: rebuilt in full
    assert lookup(generated, {"kind": [_top(generated, "kind", 0)]})["count"] > 0



#: A letter whose only person stands in its first paragraph: a passage facet's rows end before
#: the last passage.
EARLY_PERSON = """<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc>
<titleStmt><title>A letter</title></titleStmt><publicationStmt><p>x</p></publicationStmt>
<sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader><text><body>
<p>Dear <persName ref="#ann">Ann</persName>,</p><p>the weather.</p><p>the roads.</p>
<p>Yours.</p></body></text></TEI>"""


def test_a_passage_facets_counting_arrays_have_one_length_per_passage(tmp_path: Path) -> None:
    """The lengths a counter repeats a passage mask by: one per passage of the archive, also
    past the last passage holding a value (a facet's own row count once sized them)."""
    from archive.index.postings import _unpack

    (tmp_path / "tei").mkdir()
    (tmp_path / "tei" / "letter.xml").write_text(EARLY_PERSON, encoding="utf-8")
    settings = Settings(data_dir=tmp_path)
    update_index(settings)
    stored = dict(_sql(settings, "SELECT name, data FROM postings"))
    passages = _sql(settings, "SELECT count(*) FROM passages")[0][0]
    assert passages >= 4
    (lengths,) = [data for name, data in stored.items()  # (of the one segment, the base)
                  if name.endswith("\0passage_person\0passage_lengths")]
    assert len(_unpack(lengths)) == passages

"""The index on PostgreSQL: the engine chosen by URL, one error line for a bad one, updates
published whole (changed documents, or a new schema swapped in), full text equal to SQLite's;
narrow rows kept as arrays; the archive's files published by COPY, an unchanged update cheap."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from archive_tests_servers import free_port

from archive.config import Settings
from archive.index import lookup, search_passages, update_index
from archive.index.db import reader

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus"


@pytest.mark.parametrize("url", ["postgresql://bob:s3cret@127.0.0.1:{port}/archive",
                                 "mysql://bob:s3cret@127.0.0.1/archive",
                                 "postgresql://bob:s3cret@[::1/archive"])
@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_bad_or_unreachable_database_is_one_error_line(tmp_path: Path, url: str,
                                                         how: str) -> None:
    shutil.copytree(CORPUS, tmp_path / "tei", ignore=shutil.ignore_patterns("registry"))
    url = url.format(port=free_port())  # nobody listens there
    for command in (["reindex"], ["facets", "--text", "revolution"], ["query", "//*"]):
        option = ["--index", url] if how == "option" else []
        environment = {"ARCHIVE_INDEX_URL": url} if how == "environment" else {}
        done = subprocess.run([sys.executable, "-m", "archive", "--data", str(tmp_path),
                               *option, *command], capture_output=True, text=True, check=False,
                              env={**_environment(), **environment}, timeout=120)
        assert done.returncode == 1, (command, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, (command, done.stderr)
        assert lines[0].startswith("archive: error: ") and "bob:***@" in lines[0], lines
        assert "s3cret" not in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "index.sqlite").exists()  # refused before any work


def _environment() -> dict[str, str]:
    import os

    return {name: value for name, value in os.environ.items() if name != "ARCHIVE_INDEX_URL"}


@pytest.fixture
def postgres(postgresql_index: Any) -> Any:
    return postgresql_index


@pytest.fixture
def corpus_pg(postgres: Any, tmp_path: Path) -> Settings:
    """The fixture corpus indexed and published to the test's database."""
    (tmp_path / "tei").mkdir()
    for path in CORPUS.glob("*.xml"):
        shutil.copy(path, tmp_path / "tei" / path.name)
    shutil.copytree(CORPUS / "registry", tmp_path / "registry")
    settings = Settings(data_dir=tmp_path)
    assert settings.index_url == postgres.url  # (from the environment)
    update_index(settings)
    return settings


def _on_sqlite(settings: Settings) -> Settings:
    return dataclasses.replace(settings, index_url=None)


def _same_lookups(settings: Settings) -> None:
    for selections, text in [({}, None), ({}, "revolution"), ({"kind": ["essay"]}, "Trotsky"),
                             ({}, "revol*"), ({}, "Paris Commune")]:
        assert lookup(settings, selections, text, facet_size=1000) == lookup(
            _on_sqlite(settings), selections, text, facet_size=1000)


def test_the_readers_read_postgresql_and_find_what_sqlite_finds(corpus_pg: Settings) -> None:
    db = reader(corpus_pg)
    assert type(db).__module__ == "archive.index.pg"
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == len(
        list(CORPUS.glob("*.xml")))
    from archive.index.pg import MIGRATIONS

    assert [row[0] for row in db.execute("SELECT version FROM schema_migrations"
                                         " ORDER BY version")] == [
        version for version, _ in MIGRATIONS]
    _same_lookups(corpus_pg)


@pytest.mark.parametrize("text", ["Trotsky", "revol*", "the revolution", "don't", "Trots*",
                                  "commune paris", "zzzz", '"', "Révolution"])
def test_full_text_finds_the_passages_sqlite_finds(corpus_pg: Settings, text: str) -> None:
    from archive.index import MARK_END, MARK_START

    total, hits = search_passages(corpus_pg, {}, text, limit=1000)
    expected_total, expected = search_passages(_on_sqlite(corpus_pg), {}, text, limit=1000)
    assert total == expected_total
    assert sorted((hit["doc"], hit["target"]) for hit in hits) == sorted(
        (hit["doc"], hit["target"]) for hit in expected)
    for hit in hits:
        assert MARK_START in hit["snippet"] and MARK_END in hit["snippet"], hit


def test_an_update_publishes_the_changed_documents(corpus_pg: Settings, postgres: Any) -> None:
    db = reader(corpus_pg)
    before = dict(db.execute("SELECT id, doc FROM documents").fetchall())
    tei = corpus_pg.tei_dir
    changed = tei / "paris_commune.xml"
    changed.write_text(changed.read_text(encoding="utf-8").replace(
        "</body>", "<p>A barricade of quinquagenarians.</p></body>"), encoding="utf-8")
    (tei / "untitled_note.xml").unlink()
    report = update_index(corpus_pg)
    assert (report.updated, report.removed, report.full) == (1, 1, False)
    after = dict(db.execute("SELECT id, doc FROM documents").fetchall())
    unchanged = set(before) - {"doc-paris-commune", "untitled_note"}
    assert {doc_id: after[doc_id] for doc_id in unchanged} == {
        doc_id: before[doc_id] for doc_id in unchanged}  # rows kept, not copied again
    assert "untitled_note" not in after
    assert after["doc-paris-commune"] != before["doc-paris-commune"]
    assert search_passages(corpus_pg, {}, "quinquagenarians")[0] == 1
    _same_lookups(corpus_pg)


def _pages_not_all_visible(postgres: Any) -> dict[str, tuple[int, int]]:
    """The published index's tables whose pages are not all marked all-visible (the
    visibility map, which index-only scans read instead of the table): name → (pages,
    marked)."""
    import psycopg

    from archive.index.pg import SCHEMA

    with psycopg.connect(postgres.url) as db:
        return {name: (pages, marked) for name, pages, marked in db.execute(
            "SELECT c.relname, c.relpages, c.relallvisible FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind = 'r' AND c.relallvisible < c.relpages",
            (SCHEMA,)).fetchall()}


def test_a_publish_leaves_its_tables_all_visible_for_index_only_scans(
        corpus_pg: Settings, postgres: Any) -> None:
    """A publish VACUUMs what it wrote (issue 23: an entity page's mentions, counted through
    the (key, doc) index, read every row's page from the table until autovacuum came by:
    10,000 pages and 174 ms at 10,000 documents, 16 ms once the pages were marked)."""
    assert _pages_not_all_visible(postgres) == {}  # a full publish
    changed = corpus_pg.tei_dir / "paris_commune.xml"
    changed.write_text(changed.read_text(encoding="utf-8").replace(
        "</body>", "<p>A barricade of quinquagenarians.</p></body>"), encoding="utf-8")
    assert update_index(corpus_pg).full is False
    assert _pages_not_all_visible(postgres) == {}  # the changes published


def test_a_rebuild_is_swapped_in_whole_under_readers(corpus_pg: Settings) -> None:
    counts = {lookup(corpus_pg, {}, "Commune")["count"]}
    source = (corpus_pg.tei_dir / "paris_commune.xml").read_text(encoding="utf-8")
    (corpus_pg.tei_dir / "copy.xml").write_text(
        source.replace(">doc-paris-commune<", ">doc-paris-commune-copy<"), encoding="utf-8")
    seen: list[Any] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                seen.append(lookup(corpus_pg, {}, "Commune")["count"])
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                seen.append(error)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        for _ in range(3):
            assert update_index(corpus_pg, full=True).full
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert seen and not [found for found in seen if isinstance(found, Exception)]
    expected = {lookup(_on_sqlite(corpus_pg), {}, "Commune")["count"]}
    assert expected != counts and set(seen) <= expected | counts
    assert lookup(corpus_pg, {}, "Commune")["count"] in expected


def test_a_later_schema_change_is_one_more_migration_step(
        corpus_pg: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.index import pg

    step = (len(pg.MIGRATIONS) + 1, "ALTER TABLE documents ADD COLUMN pages INTEGER")
    monkeypatch.setattr(pg, "MIGRATIONS", [*pg.MIGRATIONS, step])
    pg.close_pools()  # a new process, as it were: its pool applies the steps the schema lacks
    db = reader(corpus_pg)
    assert [row[0] for row in db.execute("SELECT version FROM schema_migrations"
                                         " ORDER BY version")] == [
        version for version, _ in pg.MIGRATIONS]
    assert db.execute("SELECT COUNT(pages), COUNT(*) FROM documents").fetchone() == (0, 4)
    assert lookup(corpus_pg, {})["count"] == 4  # the index's rows kept


def test_files_are_published_by_copy_and_an_unchanged_update_reads_no_listing(
        corpus_pg: Settings, postgres: Any) -> None:
    """The archive's files stored for viewer hosts (archive.index.pgstore): new and changed
    ones go by ``COPY``; an update that changed nothing asks the store for its generation
    alone, never for its files' names (every statement the server runs is in its log)."""
    import psycopg

    name = postgres.url.rsplit("/", 1)[1]
    with psycopg.connect(postgres.url, autocommit=True) as db:
        db.execute(f"ALTER DATABASE {name} SET log_statement = 'all'")
    log = postgres.cluster.folder / "log"

    def statements_of_an_update() -> str:
        start = log.stat().st_size
        update_index(corpus_pg)
        with log.open("rb") as handle:
            handle.seek(start)
            return handle.read().decode("utf-8", "replace")

    unchanged = statements_of_an_update()
    assert "archive_store" in unchanged  # (the log holds the publish's statements)
    assert "FROM files" not in unchanged and "INTO files" not in unchanged

    source = (corpus_pg.tei_dir / "paris_commune.xml").read_text(encoding="utf-8")
    added = source.replace(">doc-paris-commune<", ">doc-paris-commune-copy<")
    (corpus_pg.tei_dir / "copy.xml").write_text(added, encoding="utf-8")
    changed = statements_of_an_update()
    assert "COPY files" in changed and "INSERT INTO files" not in changed
    with psycopg.connect(postgres.url) as db:
        stored = db.execute("SELECT data FROM archive_store.files WHERE path = 'tei/copy.xml'"
                            ).fetchone()
    assert stored is not None and bytes(stored[0]) == added.encode("utf-8")
    assert "FROM files" not in statements_of_an_update()  # unchanged again


def test_the_published_index_keeps_narrow_rows_as_arrays(postgres: Any, tmp_path: Path) -> None:
    """The published index's size against the TEI's (issue 23: it was 3.8x at 10,000
    documents): SQLite's tables of number pairs (facets, element names, attributes) are one
    row per document or key holding arrays, not a 24-byte-headed row per pair, and a full
    publish makes its indexes after the rows are in (compact)."""
    import psycopg

    from benchmarks.corpus import build_corpus
    from benchmarks.postgres import relation_sizes, tables_bytes

    build_corpus(tmp_path / "tei", 300, sorted(CORPUS.glob("*.xml")))
    settings = Settings(data_dir=tmp_path)
    update_index(settings, full=True)
    tei = sum(path.stat().st_size for path in settings.tei_dir.glob("*.xml"))
    with psycopg.connect(postgres.url) as db:
        rows = dict(db.execute(
            "SELECT relname, reltuples FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = 'archive_index' AND relkind = 'r'"
            ).fetchall())
    documents = rows["documents"]
    assert max(rows[name] for name in rows if name not in ("passages", "mention_rows")) <= max(
        documents, rows["facet_keys"], rows["attribute_keys"], rows["mention_keys"])
    # (300 small documents: each table's and index's first pages weigh much; a row per pair
    # and indexes made row by row made it 7.4x, the arrays and indexes made after the rows 4.6x)
    assert tables_bytes(postgres.url) / tei < 5.5, tables_bytes(postgres.url) / tei
    # the parts bench-scale prints are PostgreSQL's own tables and indexes, adding up to it
    parts = dict(relation_sizes(postgres.url))
    assert "facet_doc_rows" in parts and "facet_rows" not in parts
    assert sum(parts.values()) == tables_bytes(postgres.url)


def test_accounts_are_kept_in_the_database_the_data_directorys_carried_over(
        postgres: Any, tmp_path: Path) -> None:
    """With an index database the accounts are the database's (archive.index.pgstore's
    DatabaseAccounts): a data directory's ``users.json`` and ``.secret_key`` are read until
    the database holds its own, the first change keeps them there, and the files are left
    as they were; without the database the files alone, unchanged."""
    from archive.accounts import (
        SECRET_KEY_FILE,
        USERS_FILE,
        add_user,
        authenticate,
        load_users,
        secret_key,
        use_database,
    )
    from archive.errors import ArchiveError
    from archive.index import account_storage

    files = Settings(data_dir=tmp_path, index_url=None)
    add_user(files, "old", "admin", "an old long password")
    key = secret_key(files)
    before = {name: (tmp_path / name).read_bytes() for name in (USERS_FILE, SECRET_KEY_FILE)}

    settings = Settings(data_dir=tmp_path)
    assert settings.index_url == postgres.url
    use_database(account_storage)
    assert secret_key(settings) == key  # the file's, now the database's
    assert sorted(load_users(settings)) == ["old"]
    add_user(settings, "new", "editor", "a new long password")
    with pytest.raises(ArchiveError, match="exists already"):
        add_user(settings, "new", "editor", "a new long password")
    assert sorted(load_users(settings)) == ["new", "old"]
    assert {name: (tmp_path / name).read_bytes() for name in (USERS_FILE, SECRET_KEY_FILE)
            } == before
    assert sorted(load_users(files)) == ["old"]

    elsewhere = Settings(data_dir=tmp_path / "elsewhere")  # another host: only the URL
    assert sorted(load_users(elsewhere)) == ["new", "old"]
    assert secret_key(elsewhere) == key
    user = authenticate(elsewhere, "old", "an old long password")
    assert user is not None and user.role == "admin"
    assert not (tmp_path / "elsewhere").exists()


def test_an_entitys_mentions_are_listed_from_the_index_alone(corpus_pg: Settings,
                                                             postgres: Any) -> None:
    """The list of an entity's mentions, chosen by its keys and documents, reads the
    mentions' rows from the (key, doc, passage) index, which holds their offsets (issue 23:
    the planner, expecting a few rows per key, filtered the documents after reading each of
    the entity's rows from the table: 10,110 pages for a person named 31,703 times)."""
    import psycopg

    from archive.index.entities import _MENTIONS
    from archive.index.pg import SCHEMA, translated

    statement = translated(_MENTIONS.format(docs=" AND m.doc IN (1, 2, 3)"))
    with psycopg.connect(postgres.url) as db:
        db.execute(f"SET search_path TO {SCHEMA}")
        db.execute("SET enable_seqscan = off")  # (the fixture's tables are a page each)
        plan = "\n".join(row[0] for row in db.execute(
            "EXPLAIN " + statement, ("leon-trotsky", 500)).fetchall())
        assert db.execute(statement, ("leon-trotsky", 500)).fetchall()
    reading = [line for line in plan.splitlines() if " on mention_rows " in line]
    assert reading and all("Index Only Scan" in line for line in reading), plan



def test_a_mentions_row_keeps_its_number_in_its_document_not_its_place_in_all(
        corpus_pg: Settings, postgres: Any) -> None:
    """A mention's row holds its number in its document (4 bytes), its place in the order of
    all mentions made of it and the document's number as SQLite makes it (issue 23: an 8-byte
    ``rowid`` and its alignment made each of 938,807 rows 60 bytes, not 52, at 10,000
    documents); the mentions are SQLite's, in its order, and an index published before step 7
    is migrated keeping its mentions' order."""
    import psycopg

    from archive.index.pg import MIGRATIONS, SCHEMA, migrate

    columns = "doc, passage, type, ref, surface, start, \"end\", mention"
    with psycopg.connect(postgres.url, autocommit=True) as db:
        db.execute(f"SET search_path TO {SCHEMA}")
        names = [row[0] for row in db.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'mention_rows'::regclass"
            " AND attnum > 0 AND NOT attisdropped ORDER BY attnum")]
        assert names == ["doc", "passage", "key", "start", "end", "seq"]
        assert db.execute("SELECT max(pg_column_size(r.*)) FROM mention_rows r"
                          ).fetchone()[0] <= 48  # (24 of header, 24 of numbers)
        ours = db.execute(f"SELECT {columns} FROM mentions ORDER BY mention").fetchall()
    lite = reader(_on_sqlite(corpus_pg))
    theirs = lite.execute(f"SELECT {columns} FROM mentions ORDER BY mention").fetchall()
    assert len(ours) > 30
    assert ours == [(doc, passage or None, *rest) for doc, passage, *rest in theirs]

    with psycopg.connect(postgres.url, autocommit=True) as db, db.transaction():
        db.execute("CREATE SCHEMA before_step_7")
        db.execute("SET LOCAL search_path TO before_step_7")
        migrate(db, [step for step in MIGRATIONS if step[0] < 7])
        db.execute("INSERT INTO mention_keys (key, type, surface) VALUES (1, 'person', 'Leon')")
        db.execute("INSERT INTO mention_rows VALUES (3, NULL, 1, 5, 9, 3 * 4294967296 + 2),"
                   " (3, 1, 1, 0, 4, 3 * 4294967296 + 1), (1, 2, 1, 7, 8, 4294967296 + 7)")
        migrate(db, MIGRATIONS)
        assert db.execute("SELECT doc, passage, start, mention FROM mentions ORDER BY mention"
                          ).fetchall() == [(1, 2, 7, 4294967296 + 7), (3, 1, 0, 3 * 4294967296 + 1),
                                           (3, None, 5, 3 * 4294967296 + 2)]
        db.execute("DROP SCHEMA before_step_7 CASCADE")


def test_a_full_publish_tokenizes_the_passages_on_every_core(
        corpus_pg: Settings, postgres: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full publish makes the passages' COPY lines (their tokens and tsvectors, most of a
    publish's time) in worker processes, a range of passage numbers each, written in order:
    the passages published are those made in one process, and are found as on SQLite."""
    import psycopg

    from archive.index import pg

    def passages() -> list[tuple[Any, ...]]:
        with psycopg.connect(postgres.url) as db:
            return db.execute(
                "SELECT d.id, p.xml_id, p.element, p.position, p.leaf, p.terms::text"
                f" FROM {pg.SCHEMA}.passages p JOIN {pg.SCHEMA}.documents d USING (doc)"
                " ORDER BY p.passage").fetchall()

    in_one_process = passages()
    monkeypatch.setattr(pg, "_PASSAGES_A_WORKER", 3)  # (the fixture's few dozen passages)
    assert update_index(corpus_pg, full=True).full
    assert passages() == in_one_process and len(in_one_process) > 6
    _same_lookups(corpus_pg)
    for text in ("revolution", "Paris Commune", "don't"):
        total, hits = search_passages(corpus_pg, {}, text, limit=1000)
        expected_total, expected = search_passages(_on_sqlite(corpus_pg), {}, text, limit=1000)
        assert total == expected_total and sorted(map(str, hits)) == sorted(map(str, expected))

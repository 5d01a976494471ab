"""The passages' texts are deflated with a preset dictionary each rebuild makes of a few of its
documents (issue 21: the texts were 0.24x the TEI at 60,000 documents, the largest part of the
index): smaller than each document's texts deflated alone, and read back exactly."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from archive.config import Settings
from archive.index import update_index
from archive.index.rows import extract
from archive.index.texts import pack_texts, read_dictionary, unpack_texts
from benchmarks.corpus import build_eebo_corpus


def test_texts_are_packed_with_the_rebuilds_dictionary(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    files = build_eebo_corpus(settings.tei_dir, 60)  # books of one period's words
    update_index(settings)
    with closing(sqlite3.connect(settings.index_path)) as db:
        dictionary = read_dictionary(db)
        assert 16_000 < len(dictionary) <= 32_768
        packed = dict(db.execute("SELECT d.path, t.data FROM texts t JOIN documents d"
                                 " ON d.doc = t.doc").fetchall())
    assert sorted(packed) == sorted(path.name for path in files)
    alone = 0
    for path in files:  # read back exactly as the indexer read them from the files
        texts = [(text, words) for _, _, text, _, _, words in
                 extract(path, path.read_bytes(), ()).passages]
        assert unpack_texts(packed[path.name], dictionary) == texts
        alone += len(pack_texts(texts))
    # (0.92 here; these books are long: a short document's texts gain more)
    assert sum(map(len, packed.values())) < 0.95 * alone


def test_an_update_packs_with_the_dictionary_of_the_rebuild(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    files = build_eebo_corpus(settings.tei_dir, 20)
    update_index(settings)
    with closing(sqlite3.connect(settings.index_path)) as db:
        dictionary = read_dictionary(db)
    changed = files[3]
    changed.write_text(changed.read_text(encoding="utf-8").replace(
        "</body>", "<p>A postscript of quinquagenarians.</p></body>"), encoding="utf-8")
    assert not update_index(settings).full
    with closing(sqlite3.connect(settings.index_path)) as db:
        assert read_dictionary(db) == dictionary  # an update keeps it: the others' texts need it
        data = db.execute("SELECT t.data FROM texts t JOIN documents d ON d.doc = t.doc"
                          " WHERE d.path = ?", (changed.name,)).fetchone()[0]
    assert ("A postscript of quinquagenarians.", "") in unpack_texts(data, dictionary)

"""A fresh process's first lookup of document facets reads and makes nothing per passage
(issue 21: at 60,000 EEBO-shaped books, 11.4 million passages, the passages' arrays took a
fresh process 2.7 s to make before its first lookup); a lookup that needs passages makes them,
and answers as before."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.config import Settings
from archive.index import lookup, update_index
from archive.index.db import connect
from benchmarks.corpus import build_eebo_corpus

#: Each test runs on the SQLite index and on PostgreSQL (tests/postgres.py).
pytestmark = pytest.mark.usefixtures("index_engine")

_FRESH = """
import json, sys
from pathlib import Path
from archive.config import Settings
from archive.index import lookup
from archive.index.db import reader
from archive.index.lookup import postings

settings = Settings(data_dir=Path(sys.argv[1]))
found = [lookup(settings, json.loads(sys.argv[2]))["count"]]
db = reader(settings)
found.append(postings(db).bytes_read)
found.append(lookup(settings, {}, "the")["passage_count"])  # full text: passages needed
found.append(postings(db).bytes_read)
print(json.dumps(found))
"""


def test_a_first_lookup_of_document_facets_reads_nothing_per_passage(tmp_path: Path) -> None:
    build_eebo_corpus(tmp_path / "tei", 6)  # few documents, many passages each
    settings = Settings(data_dir=tmp_path)
    update_index(settings)
    db = connect(settings)
    try:
        passages = db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        person = db.execute("SELECT value FROM facet_totals WHERE facet = 'person'"
                            " ORDER BY count DESC, value LIMIT 1").fetchone()[0]
        with_the = db.execute("SELECT COUNT(*) FROM passage_text"  # (the working copy's)
                              " WHERE passage_text MATCH '\"the\"'").fetchone()[0]
    finally:
        db.close()
    assert passages > 600  # a hundred and more a document
    done = subprocess.run([sys.executable, "-c", _FRESH, str(tmp_path),
                           json.dumps({"person": [person]})],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    count, read, found, read_after = json.loads(done.stdout)
    assert count == lookup(settings, {"person": [person]})["count"] > 0
    # the documents' order and the person facet's arrays: less than a byte a passage (the
    # passages' numbers and documents are 8 bytes a passage, read only for the full text)
    assert read < passages
    assert found == with_the > 0
    assert read_after - read >= 8 * passages

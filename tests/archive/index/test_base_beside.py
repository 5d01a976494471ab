"""A rebuild on cores makes its postings' base segment (archive.index.postings) in a worker,
from the scratch databases its workers wrote, while the index's own indexes are sorted: the
arrays are those made from the index's tables once those databases are copied in."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest

from archive.config import Settings
from archive.index import update, update_index, workers
from archive.index.declared import load_facets
from archive.index.postings import _pack, _segment_arrays, base_of_shards
from archive.index.texts import read_dictionary
from archive.registry import ref_resolver
from benchmarks.corpus import FIXTURES, build_corpus


def test_the_base_of_the_workers_databases_is_the_base_of_the_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_corpus(tmp_path / "tei", 120, sorted(FIXTURES.glob("*.xml")))
    settings = Settings(data_dir=tmp_path)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10**9)  # the index: written in this process
    update_index(settings)
    files = sorted(settings.tei_dir.glob("*.xml"))
    facets, resolver = load_facets(settings), ref_resolver(settings)
    index = sqlite3.connect(settings.index_path)
    try:
        dictionary = read_dictionary(index)
        made = _segment_arrays(index, None)
    finally:
        index.close()
    # the same files in chunks of unlike sizes, as workers write them, numbered past the ones
    # before (as the rebuild's copy moves them)
    shards, docs, passages = [], 0, 0
    with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
        for start, end in ((0, 7), (7, 50), (50, 51), (51, 120)):
            shard, failed, overrun = update._write_shard(
                [(path, None, None) for path in files[start:end]], facets, resolver, scratch,
                dictionary)
            assert not failed and overrun is None
            shards.append((shard, docs, passages))
            db = sqlite3.connect(shard)
            docs += db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            passages += db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
            db.close()
        aside = base_of_shards(shards)
    packed = {name: value if isinstance(value, bytes) else _pack(value)
              for name, value in aside.items()}
    assert packed == {name: value if isinstance(value, bytes) else _pack(value)
                      for name, value in made.items()}
    assert len(made["beside_years"]) > 10 and len(made["beside_ids"]) > 10

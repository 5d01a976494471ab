"""The candidates of a selective query: the documents the index shows holding what it needs,
and every file not as indexed, found without comparing each file's stamp again while the
folder is unchanged."""

from __future__ import annotations

import os

from archive.config import Settings
from archive.search import candidates as module
from archive.search.candidates import candidates
from archive.xpath.compile import compile_query


def _docs(settings: Settings, expression: str, shards: int = 2) -> list[str]:
    compiled = compile_query(expression)
    return [found.doc for shard in range(shards)
            for found in candidates(settings, compiled, shard, shards)[1]]


def test_a_file_changed_between_two_queries_is_a_candidate_of_the_next(
        indexed_corpus: Settings) -> None:
    assert _docs(indexed_corpus, "//tei:quote") == ["doc-paris-commune"]
    assert _docs(indexed_corpus, "//tei:quote") == ["doc-paris-commune"]  # nothing changed
    path = indexed_corpus.tei_dir / "untitled_note.xml"
    text = path.read_text()
    path.write_text(text.replace("none of its notes", "<quote>none</quote> of"))
    assert sorted(_docs(indexed_corpus, "//tei:quote")) == ["doc-paris-commune",
                                                              "untitled_note"]
    path.write_text(text)  # as it was, but written since it was indexed: still evaluated
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert sorted(_docs(indexed_corpus, "//tei:quote")) == ["doc-paris-commune",
                                                              "untitled_note"]
    # the same answer whatever the number of shares
    assert sorted(_docs(indexed_corpus, "//tei:quote", 3)) == ["doc-paris-commune",
                                                                 "untitled_note"]


def test_an_unchanged_share_is_not_compared_with_the_index_again(
        indexed_corpus: Settings) -> None:
    compiled = compile_query("//tei:orgName[@ref = '#poum']")
    candidates(indexed_corpus, compiled, 0, 2)
    listed = module._FILES[str(indexed_corpus.index_path)]
    first = listed._changed[0, 2][1]
    candidates(indexed_corpus, compile_query("//tei:quote"), 0, 2)
    assert listed._changed[0, 2][1] is first  # the positions found before, not read again

"""A query's hits stay as the records the workers sent (issue 21): the caller holds a few
strings a document, not a tuple and its strings a hit, and makes hits only where they are read
(a page, the JSON answer), the same hits as one pass in this process."""

from __future__ import annotations

import pickle
import pickletools
from typing import Any

from archive.config import Settings
from archive.search.corpus import evaluate_query, run_query
from archive.xpath import Hit


def _strings(value: Any) -> int:
    # the strings an object is pickled with: each one an object it holds
    return sum(op.name.endswith("UNICODE") for op, _, _ in pickletools.genops(
        pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))


def test_the_callers_hits_are_the_records_sent_and_read_as_the_hits(
        indexed_corpus: Settings) -> None:
    ours = run_query(indexed_corpus, "//*", limit=100_000, timeout=60, answer_bytes=None)
    one_pass = evaluate_query(indexed_corpus, "//*", limit=100_000, timeout=60)
    hits = len(one_pass.hits)
    assert hits > 100 and ours.count == one_pass.count
    # held packed: far fewer strings than hits (as tuples: two or more a hit)
    assert _strings(ours.hits) < hits / 2 <= _strings(one_pass.hits)
    # read as the tuple of hits it stands for
    assert len(ours.hits) == hits and ours.hits == one_pass.hits and one_pass.hits == ours.hits
    assert ours.hits[0] == one_pass.hits[0] and ours.hits[-1] == one_pass.hits[-1]
    assert ours.hits[hits // 2] == one_pass.hits[hits // 2] and type(ours.hits[7]) is Hit
    for page in (slice(0, 50), slice(60, 110), slice(hits - 10, hits + 10), slice(5, 5),
                 slice(None, None, 13), slice(-3, None)):
        assert ours.hits[page] == one_pass.hits[page]
    assert ours.as_dict()["hits"] == one_pass.as_dict()["hits"]
    assert ours.hits != one_pass.hits[:-1]


def test_packed_hits_are_cut_at_the_limit_and_the_bounds_as_before(
        indexed_corpus: Settings) -> None:
    for limit in (0, 1, 7, 100):  # (a limit inside a document's hits)
        ours = run_query(indexed_corpus, "//*", limit=limit, timeout=60, answer_bytes=None)
        one_pass = evaluate_query(indexed_corpus, "//*", limit=limit, timeout=60)
        assert len(ours.hits) == limit and ours.hits == one_pass.hits
    bounded = run_query(indexed_corpus, "//*", limit=1000, timeout=60, hit_bytes=20,
                        answer_bytes=2000)
    assert bounded.hits and all(len(hit.value.encode()) <= 20 for hit in bounded.hits)
    assert sum(len(hit.value.encode()) + len(hit.context.encode())
               for hit in bounded.hits) <= 2000

"""A query worker sends a document's hits by field (archive.xpath.packed): each field's values
of one document as one string, not one tuple and its strings a hit."""

from __future__ import annotations

import pickle
import pickletools
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from archive.config import Settings
from archive.search import worker
from archive.search.corpus import evaluate_query, run_query
from archive.xpath import FEW, Hit, pack, unpack


def _strings(message: Any) -> int:
    # the strings a message is pickled with (each one an object the reader makes)
    return sum(op.name.endswith("UNICODE") for op, _, _ in pickletools.genops(
        pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)))


@pytest.mark.parametrize("hits", [
    [],
    [("d", "p1", "element", "tei:p", "a b", "a b")],
    [("d", "p1", "element", "tei:p", "a", "x a y"), ("d", None, "element", "tei:p", "b", "b"),
     ("d", "p2", "text", None, "", "")],
    # an atomic value holding NUL (not from a document's text) and one field all None
    [("d", None, "atomic", None, "a\x00b", ""), ("d", None, "atomic", None, "c", "")],
    [("d", None, "atomic", None, "\x00", ""), ("d", None, "atomic", None, "", "")],
    [("d", f"p{n % 3}", "element", "tei:p", f"v{n}", "c") for n in range(20)],
    [("d", None if n % 2 else "p", "text", None, "\x00" if n == 5 else "t", "") for n in range(9)],
    # addresses that repeat (each sent once), one of them None
    [("d", "p1", "element", "a", "x", "x"), ("d", "p1", "element", "b", "y", "y"),
     ("d", None, "element", "a", "z", "z"), ("d", "p1", "element", "a", "x", "x")],
])
def test_hits_unpacked_are_the_hits_packed(hits: list[tuple[Any, ...]]) -> None:
    assert unpack(pickle.loads(pickle.dumps(pack(hits)))) == hits
    made = unpack(pack(hits), partial(tuple.__new__, Hit))
    assert made == [Hit(*hit) for hit in hits] and all(type(hit) is Hit for hit in made)
    if len(hits) == 20:  # one string of each address, shared by the hits naming it
        assert made[0].target is made[3].target is made[18].target


def test_a_workers_records_name_each_field_once_a_document(
        indexed_corpus: Settings, channel: Callable[[], Any]) -> None:
    # //*: many hits a document; sent, the strings are each document's values of the fields
    # that are one string (value, context) and its distinct names and addresses, not two or
    # more strings a hit (its value and context)
    connection, plans = channel(), channel()
    worker._answer(connection, plans, indexed_corpus, "//*", None, 10_000, 60, 0, 1)
    records = [record for message in connection.sent if message[0] in ("records", "end")
               for record in message[-1]]
    documents = len(records)
    hits = sum(record[1] for record in records)
    assert all(record[1] >= FEW for record in records) and hits > 3 * documents
    assert _strings(records) < hits / 2


def test_the_answer_through_the_workers_is_that_of_one_pass(indexed_corpus: Settings) -> None:
    # real worker processes: the hits unpacked are those of an evaluation in this process
    for expression in ("//tei:persName", "//tei:p/text()", "//tei:persName/@ref",
                       "for $p in //tei:p return count($p//tei:persName)"):
        ours = run_query(indexed_corpus, expression, limit=1000, timeout=60)
        one_pass = evaluate_query(indexed_corpus, expression, limit=1000, timeout=60)
        assert (ours.count, ours.hits) == (one_pass.count, one_pass.hits)
        assert all(type(hit) is Hit for hit in ours.hits)

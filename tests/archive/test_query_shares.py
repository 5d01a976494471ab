"""Corpus-wide XPath shared by workers: shares, plans, merging, and what each worker keeps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from archive.config import Settings
from archive.index.update import update_index
from archive.search import worker
from archive.search.candidates import candidates
from archive.search.corpus import evaluate_query
from archive.xpath import pack
from archive.xpath.compile import compile_query
from archive.xpath.tree_cache import file_stamp, file_stamps

#: Each test runs on the SQLite index and on PostgreSQL (tests/postgres.py).
pytestmark = pytest.mark.usefixtures("index_engine")


@pytest.fixture
def settings(indexed_corpus: Settings) -> Settings:
    return indexed_corpus


@pytest.mark.parametrize("expression", ["//tei:quote", "//tei:persName", "count(//tei:p)",
                                        "//tei:placeName[@ref = '#moscow']"])
def test_shares_partition_the_candidates_in_id_order(settings: Settings,
                                                     expression: str) -> None:
    compiled = compile_query(expression)
    listing, whole = candidates(settings, compiled)
    for shards in (2, 3):
        shares = [candidates(settings, compiled, shard, shards) for shard in range(shards)]
        assert {found_listing for found_listing, _ in shares} == {listing}
        for shard, (_, share) in enumerate(shares):
            assert all(found.position % shards == shard for found in share)
        merged = sorted((found for _, share in shares for found in share),
                        key=lambda found: found.position)
        assert merged == whole


def test_candidates_carry_their_file_stamps(settings: Settings) -> None:
    _, whole = candidates(settings, compile_query("//tei:p"))
    assert [found.stamp for found in whole] == [file_stamp(found.path) for found in whole]


def test_a_file_that_is_gone_has_no_stamp(settings: Settings) -> None:
    paths = sorted(str(path) for path in settings.tei_dir.glob("*.xml"))
    gone = str(settings.tei_dir / "gone.xml")
    assert file_stamps([*paths, gone]) == [*map(file_stamp, paths), None]


def test_a_replaced_index_file_is_read_anew(settings: Settings) -> None:
    # the connection kept between queries belongs to the old file: a new file gets its own
    assert [hit.doc for hit in evaluate_query(settings, "//tei:quote", limit=10,
                                              timeout=60).hits] == ["doc-paris-commune"]
    path = settings.tei_dir / "paris_commune.xml"
    path.write_text(path.read_text().replace(">doc-paris-commune<", ">doc-zz-paris<"))
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (settings.data_dir / name).unlink(missing_ok=True)
    update_index(settings)
    result = evaluate_query(settings, "//tei:quote", limit=10, timeout=60)
    assert [hit.doc for hit in result.hits] == ["doc-zz-paris"]


@pytest.mark.parametrize("side_plan", [worker.SIDE_PLAN, 0])
@pytest.mark.parametrize("limit", [0, 1, 3, 5, 12, 100])
def test_shares_merged_give_the_result_of_one_pass(settings: Settings, limit: int,
                                                   side_plan: int,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   channel: Callable[[], Any]) -> None:
    monkeypatch.setattr(worker, "SIDE_PLAN", side_plan)  # 0: plans go with the records
    for expression in ("//tei:persName", "//tei:placeName[@ref = '#moscow']", "count(//tei:p)"):
        merge = worker._Merge(expression, limit, 60, 2)
        for shard in range(2):
            connection, plans = channel(), channel()
            worker._answer(connection, plans, settings, expression, None, limit, 60,
                           shard, 2)
            assert [message[0] for message in plans.sent] == (["plan"] if side_plan else [])
            for message in plans.sent + connection.sent:
                merge.read(shard, message)
        ours = merge.result(0.0)
        one_pass = evaluate_query(settings, expression, limit=limit, timeout=60)
        assert (ours.count, ours.hits, ours.truncated, ours.message, ours.documents) == (
            one_pass.count, one_pass.hits, one_pass.truncated, one_pass.message,
            one_pass.documents)


def test_a_share_without_a_plan_ends_the_merge_at_its_first_document() -> None:
    # the worker of share 1 was stopped before it told its candidates: documents from
    # position 1 on may be missing, so only position 0 counts
    merge = worker._Merge("//tei:p", 100, 2, 2)
    hit = ("doc-a", "p1", "element", "tei:p", "text", "text")
    merge.read(0, ("plan", "lxml", ("stamp",), [0, 2, 4]))
    sent = pack([hit])  # as a worker sends a document's hits
    merge.read(0, ("end", None, [(0, 1, sent, False), (2, 1, sent, False),
                                 (4, 1, sent, False)]))
    result = merge.result(0.0)
    assert (result.count, len(result.hits), result.documents) == (1, 1, 1)
    assert result.message == "query stopped at the time limit of 2 s: 1 of 3 documents searched"

"""The size of a query's answer is bounded where hits are made (issue 16, finding 5): per hit
and per answer, in the workers and again in their merge; the CLI's answers stop at 64 MiB."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.config import Settings
from archive.search import bounds, worker
from archive.search.corpus import run_query

#: Each test runs on the SQLite index and on PostgreSQL (tests/postgres.py).
pytestmark = pytest.mark.usefixtures("index_engine")

#: 1 MB strings, 200 of them per document.
AMPLIFY = "let $k := string-join((1 to 100000) ! 'abcdefghij') return (1 to 200) ! $k"


@pytest.fixture
def settings(indexed_corpus: Settings) -> Settings:
    return indexed_corpus


@pytest.mark.parametrize(("text", "room", "expected"), [
    ("short", 100, "short"),
    ("abcdef", 6, "abcdef"),
    ("abcdefg", 6, "abc…"),
    ("ééééé", 7, "éé…"),  # 2 bytes each: cut at a character, never inside one
    ("日本語テキスト", 9, "日本…"),
    ("abcdef", 2, ""),
])
def test_cut_keeps_whole_characters_within_the_bytes(text: str, room: int,
                                                     expected: str) -> None:
    assert bounds.cut(text, room) == expected
    assert len(bounds.cut(text, room).encode()) <= room


def test_a_budget_cuts_hits_and_stops_at_the_answer_bound() -> None:
    budget = bounds.Budget(10, 25)
    hits = [("d", None, "atomic", None, "x" * 50, ""), ("d", None, "atomic", None, "y" * 8, "z"),
            ("d", None, "atomic", None, "w" * 30, ""), ("d", None, "atomic", None, "v", "")]
    kept = budget.take(hits)
    assert [hit[4:] for hit in kept] == [("xxxxxxx…", ""), ("yyyyyyyy", "z"), ("www…", "")]
    assert budget.full and budget.cut and budget.used == 25
    assert budget.take(hits) == []


def test_query_hits_and_answer_are_bounded_in_the_workers(settings: Settings) -> None:
    result = run_query(settings, AMPLIFY, limit=500, hit_bytes=1000, answer_bytes=50_000)
    assert result.truncated
    assert result.message is not None
    assert "answer size limit of 50,000 bytes" in result.message
    assert "longer than 1,000 bytes are cut" in result.message
    assert all(len(hit.value.encode()) <= 1000 for hit in result.hits)
    assert sum(len(hit.value.encode()) + len(hit.context.encode())
               for hit in result.hits) <= 50_000
    assert len(result.hits) == 50  # 1000 bytes each, then the bound


@pytest.mark.parametrize("answer_bytes", [1, 3_000, 2_500_000, None])
def test_bounded_shares_merged_give_the_bounded_answer_of_one_share(
        settings: Settings, answer_bytes: int | None, channel: Callable[[], Any]) -> None:
    results = []
    for shards in (1, 2, 3):
        merge = worker._Merge(AMPLIFY, 500, 60, shards, (700, answer_bytes))
        for shard in range(shards):
            connection, plans = channel(), channel()
            worker._answer(connection, plans, settings, AMPLIFY, None, 500, 60, shard, shards,
                           (700, answer_bytes))
            for message in plans.sent + connection.sent:
                merge.read(shard, message)
        result = merge.result(0.0)
        results.append((result.hits, result.truncated, result.message))
    assert results[0] == results[1] == results[2]
    assert results[0][1] is True


def test_the_cli_answer_stops_at_64_mib_and_keeps_its_shape(settings: Settings) -> None:
    # (a time limit well above the default 10 s: on a busy machine making 200 strings of 1 MB
    # a document can take longer, and this test is of the size bound, not of the time limit)
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "query", AMPLIFY,
                                      "--format", "json", "--limit", "500", "--timeout", "600"])
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout) < bounds.ANSWER_BYTES + 1_000_000
    data = json.loads(result.stdout)
    assert list(data) == ["query", "count", "hits", "elapsed_ms", "truncated"]
    assert data["truncated"] is True
    assert len(data["hits"][0]["value"]) == 1_000_000  # a CLI user's hits are whole ...
    assert "answer size limit of 67,108,864 bytes" in result.stderr  # ... until the bound

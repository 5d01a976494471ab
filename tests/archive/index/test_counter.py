"""Counting a facet's values under a mask (archive.index.postings.Counter): on bitsets for
the values most documents hold, row by row for the others, always what each row counts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from archive.index.postings import Counter


def _rows(seed: int, size: int) -> tuple[Any, Any]:
    """Random rows (rank, value id) in random order: values 0-3 held once by most ranks, value
    4 by some ranks and twice by a few, values 5-49 by few ranks (some twice)."""
    rng = np.random.default_rng(seed)
    ranks = [np.flatnonzero(rng.random(size) < 0.6) for _ in range(4)]
    values = [np.full(len(found), value) for value, found in enumerate(ranks)]
    twice = rng.integers(0, size, size // 4 + 1)
    ranks.append(twice)
    values.append(np.full(len(twice), 4))
    rare = rng.integers(0, size, size // 4 + 1)
    ranks.append(rare)
    values.append(5 + rng.zipf(1.5, len(rare)) % 45)
    order = rng.permutation(sum(map(len, ranks)))
    return np.concatenate(ranks)[order], np.concatenate(values)[order].astype(np.uint16)


@pytest.mark.parametrize("size", [1, 7, 200, 3000])
def test_a_counter_counts_what_each_row_counts(size: int) -> None:
    """Counts under a mask, on bitsets or row by row, equal each row's rank read in the mask:
    for masks of every share, a value some rank holds twice, and ranks holding nothing."""
    ranks, value_ids = _rows(size, size)
    counter = Counter.of_rows(ranks, value_ids, size + 3, 50)  # the last ranks hold nothing
    rng = np.random.default_rng(1)
    masks = [np.zeros(size + 3, dtype=bool), np.ones(size + 3, dtype=bool)]
    masks += [rng.random(size + 3) < share for share in (0.01, 0.05, 0.3, 0.45, 0.55, 0.8, 0.99)]
    for mask in masks:
        expected = np.bincount(value_ids[mask[ranks]], minlength=50)
        assert counter.counts(mask).tolist() == expected.tolist()
    if size > 7:  # (both ways of counting were used)
        _, rows, dense, _ = counter._split()
        assert 4 not in dense and set(dense) >= {0, 1, 2, 3} and len(rows.value_ids)


def test_a_value_in_many_documents_is_counted_without_its_rows() -> None:
    """A value held by many documents, once each, is counted on a bitset of them: counting
    reads none of its rows (a value held twice by one document still is, by its rows)."""
    size = 10_000
    ranks = np.concatenate([np.arange(size), np.arange(0, size, 2), np.arange(size // 2),
                            np.array([7, 7])])
    value_ids = np.concatenate([np.zeros(size), np.ones(size // 2), np.full(size // 2, 2),
                                np.array([3, 3])]).astype(np.uint16)
    counter = Counter.of_rows(ranks, value_ids, size, 4)
    mask = np.arange(size) % 3 == 0
    assert counter.counts(mask).tolist() == np.bincount(value_ids[mask[ranks]],
                                                        minlength=4).tolist()
    rows = counter._split()[1]  # the rows counted one by one
    assert sorted(set(rows.value_ids.tolist())) == [3]


def test_a_counter_counted_once_makes_no_bitsets() -> None:
    """A process that counts once (``archive facets``, the first lookup after a start) reads
    the rows one by one: making bitsets would cost it more than they save."""
    ranks, value_ids = _rows(5, 3000)
    counter = Counter.of_rows(ranks, value_ids, 3000, 50)
    mask = np.arange(3000) % 2 == 0
    expected = np.bincount(value_ids[mask[ranks]], minlength=50).tolist()
    assert counter.counts(mask).tolist() == expected
    assert counter._parts is None
    assert counter.counts(mask).tolist() == expected
    assert counter._parts is not None and len(counter._parts[2])

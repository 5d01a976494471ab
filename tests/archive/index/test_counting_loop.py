"""The C loop that counts a facet's rows under a mask (archive/index/_counting.c, used by
archive.index.postings._Rows): built by the install where a C compiler is, the same counts as
NumPy's passes for every shape of rows and mask, and a clear error, never a write out of its
arrays, on arrays it cannot read."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from archive.index.postings import _Rows, _starts

if shutil.which("cc") is None and shutil.which("gcc") is None:  # pragma: no cover
    pytest.skip("no C compiler here: the install skipped the C loop", allow_module_level=True)

from archive.index._counting import count_runs  # noqa: E402  (built by `make venv`)


def _reference(value_ids: np.ndarray, lengths: np.ndarray, mask: np.ndarray,
               values: int) -> list[int]:
    """What each row counts: the rows of the ranks set, one by one."""
    ranks = np.repeat(np.arange(len(lengths)), lengths)
    return np.bincount(value_ids[mask[ranks]], minlength=values).tolist()


@pytest.mark.parametrize("dtype", [np.uint16, np.int32])
@pytest.mark.parametrize("per_rank", [1, 40])  # a passage facet's few rows, a document's many
def test_the_loop_counts_what_numpy_counts(dtype: type, per_rank: int) -> None:
    rng = np.random.default_rng(per_rank)
    size, values = 1003, 70  # (not a multiple of 8: the mask's last word is short)
    lengths = rng.integers(0, 2 * per_rank + 1, size)
    lengths[:20] = 0  # ranks holding nothing, a whole word of them
    value_ids = rng.integers(0, values, int(lengths.sum())).astype(dtype)
    rows = _Rows(value_ids, lengths, np.bincount(value_ids, minlength=values),
                 lambda: np.repeat(np.arange(size), lengths))
    assert rows.loop is count_runs
    for share in (0.0, 0.002, 0.1, 0.49, 0.51, 0.9, 0.999, 1.0):
        mask = rng.random(size) < share
        expected = _reference(value_ids, lengths, mask, values)
        assert rows.counts(mask).tolist() == expected
        assert rows.numpy_counts(mask).tolist() == expected
    clustered = np.zeros(size, dtype=bool)
    clustered[500:900] = True  # whole words set, then whole words not
    assert rows.counts(clustered).tolist() == _reference(value_ids, lengths, clustered, values)


def test_arrays_it_cannot_read_are_refused() -> None:
    ids = np.array([0, 1, 1, 2], dtype=np.uint16)
    starts = np.array([0, 2, 3], dtype=np.int64)
    mask = np.array([True, False, True])
    total = np.array([1, 2, 1], dtype=np.int64)
    counts = np.empty(3, dtype=np.int64)
    count_runs(ids, starts, mask, total, counts)
    assert counts.tolist() == [1, 1, 1]
    with pytest.raises(TypeError, match="ids uint16 or int32"):
        count_runs(ids.astype(np.int64), starts, mask, total, counts)
    with pytest.raises(TypeError, match="mask bool"):
        count_runs(ids, starts, mask.astype(np.uint8), total, counts)
    with pytest.raises(ValueError, match="a mask per rank"):
        count_runs(ids, starts, mask[:2], total, counts)
    with pytest.raises(ValueError, match="a value id past the counts"):  # (id 2 of rank 2)
        count_runs(ids, starts, np.array([False, False, True]), total[:2], counts[:2])
    with pytest.raises(ValueError, match="starts out of order"):
        count_runs(ids, np.array([0, 9, 3], dtype=np.int64), mask, total, counts)
    with pytest.raises(ValueError, match="starts out of order"):
        count_runs(ids, np.array([0, 2, 5], dtype=np.int64), mask, total, counts)
    with pytest.raises(ValueError, match="contiguous"):
        count_runs(ids, starts, mask, total, np.empty(6, dtype=np.int64)[::2])


def test_the_runs_start_where_the_lengths_say() -> None:
    assert _starts(np.array([2, 0, 3])).tolist() == [0, 2, 2]

"""Facet counting under a mask, in C (archive/index/_counting.c)."""

import numpy as np

def count_runs(ids: np.ndarray, starts: np.ndarray, mask: np.ndarray, total: np.ndarray,
               counts: np.ndarray) -> None: ...

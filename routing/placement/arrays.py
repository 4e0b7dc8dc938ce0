"""Whole-array helpers the placement's modules share: grouping equal rows, finding keys."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def group_rows(*columns: NDArray[Any]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Equal rows of ``columns`` grouped, in the order of the rows' values (first column
    first): each group's first row, and each row's group. As ``np.unique(..., axis=0,
    return_index=True, return_inverse=True)`` over the stacked columns, some 3x faster."""
    n = len(columns[0])
    order = np.lexsort(columns[::-1])
    first = np.ones(n, dtype=bool)
    for col in columns:
        ordered = col[order]
        first[1:] &= ordered[1:] == ordered[:-1]
    first[1:] = ~first[1:]
    group = np.empty(n, dtype=np.int64)
    group[order] = np.cumsum(first) - 1
    return order[first].astype(np.int64), group


def index_in_sorted(keys: NDArray[np.int64], wanted: NDArray[np.int64]) -> NDArray[np.int64]:
    """Each wanted key's index in ``keys`` (sorted ascending; the first of equal ones), or -1
    where it is absent."""
    if len(keys) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[pos] == wanted, pos, -1).astype(np.int64)


__all__ = ["group_rows", "index_in_sorted"]

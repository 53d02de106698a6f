"""Splitting the rows of a data set into batches, epoch after epoch.

One place decides the order in which rows are visited, so that :func:`descend.minimize` with
``data=`` and the estimators walk the same rows in the same order for the same seed.

Examples
--------
>>> import numpy as np
>>> from descend.batches import batch_indices, check_batch_size
>>> rng = np.random.default_rng(0)
>>> [idx.tolist() for idx in batch_indices(5, 2, rng, shuffle=False)]
[[0, 1], [2, 3], [4]]
>>> check_batch_size(None, 5), check_batch_size(8, 5)
(5, 5)
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator

import numpy as np

__all__ = ["batch_indices", "check_batch_size", "full_batch", "n_batches", "take_rows"]


def check_batch_size(batch_size, n_rows: int) -> int:
    """The number of rows per batch: ``None`` means all of them, a larger number is capped.

    Raises ``TypeError`` naming the value when it is not a whole number, ``ValueError`` when
    it is below 1.
    """
    if batch_size is None:
        return n_rows
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise TypeError(
            f"Invalid batch_size: {batch_size!r}; expected None (full batch), 1 (stochastic) "
            "or a positive whole number (mini-batch)"
        )
    if batch_size < 1:
        raise ValueError(
            f"Invalid batch_size: {batch_size}; expected None (full batch), 1 (stochastic) or "
            "a positive whole number (mini-batch)"
        )
    return min(int(batch_size), n_rows)


def full_batch(batch_size: int, n_rows: int) -> bool:
    """Whether batches of ``batch_size`` rows take all ``n_rows`` at once: one step an epoch,
    on the gradient of all the data (the one place this is decided).

    >>> full_batch(100, 100), full_batch(32, 100)
    (True, False)
    """
    return batch_size >= n_rows


def n_batches(n_rows: int, batch_size: int) -> int:
    """How many batches one epoch has (the last one may be short)."""
    return -(-n_rows // batch_size)


def batch_indices(
    n_rows: int, batch_size: int, rng: np.random.Generator, shuffle: bool = True
) -> Iterator[np.ndarray]:
    """The row indices of each batch of one epoch.

    With ``shuffle`` the rows are permuted by ``rng`` once per call (so once per epoch); the
    batches then take consecutive runs of ``batch_size`` rows of that order, the last one
    possibly shorter. Without it the rows keep their order and ``rng`` is not used.
    """
    order = rng.permutation(n_rows) if shuffle else np.arange(n_rows)
    for start in range(0, n_rows, batch_size):
        yield order[start : start + batch_size]


def take_rows(arrays: tuple, index) -> tuple:
    """Rows ``index`` of every array (NumPy arrays and SciPy sparse matrices alike)."""
    return tuple(a[index] for a in arrays)

"""A compiled read of every element of X, in parallel over row chunks: one candidate for the
floor of workload 1. Imported only when Numba is there; compiled once and cached on disk."""

from __future__ import annotations

import numba
import numpy as np

#: Row chunks the threads share out (more than any machine's cores, few enough to be cheap).
CHUNKS = 256


@numba.njit(parallel=True, fastmath=True, nogil=True, cache=True)
def parallel_sum(X):  # pragma: no cover - compiled
    n, d = X.shape
    chunks = CHUNKS
    step = (n + chunks - 1) // chunks
    partial = np.zeros(chunks)
    for c in numba.prange(chunks):
        total = 0.0
        for i in range(c * step, min(n, (c + 1) * step)):
            for j in range(d):
                total += X[i, j]
        partial[c] = total
    return partial.sum()

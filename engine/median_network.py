"""The median of a few dozen rows by a fixed network of compare-exchanges.

torch.median over the votes of every voxel sorts small columns one voxel at a time and was
a fifth of a 144p run on the CPU. A selection network is a fixed list of (min, max) pairs
over whole rows: elementwise and vectorised, and on 16-bit integers about 14x faster than
torch.median for 27 rows of 480k voxels on the CPU (10 ms against 144 ms, 2 cores).

The network is Batcher's odd-even merge sort, cut to the row count, keeping only the
compare-exchanges that the middle row depends on (126 of 156 for 27 rows).
"""

from __future__ import annotations

from functools import lru_cache

import torch

SMALL = 4096  # elements per row below which torch.median is about as fast or faster
# On a GPU each compare-exchange is a kernel launch of a few microseconds whatever the
# row's length, and torch.median is one launch: counted on a 144p run, the network's
# minimum and maximum were 76k of its 214k tensor operations, most of them on the coarse
# levels' 147 rows of 4k-18k voxels (1658 compare-exchanges a call). On a GPU the network
# is kept for long rows only (the finest levels' chunks: 14 calls of 27 rows at 144p, 3.5k
# launches), where its elementwise passes are bound by memory rather than by launches.
# The H200 runs (README, On a GPU) used it; the threshold itself was not varied there: it
# comes from the launch count, not from a measurement.
GPU_SMALL = 1 << 17


@lru_cache(maxsize=16)
def median_network(n: int) -> tuple[tuple[int, int], ...]:
    """Compare-exchanges (i, j), i < j, after which row (n - 1) // 2 holds the lower median
    of n rows (the median for odd n, as torch.median)."""
    size = 1
    while size < n:
        size *= 2
    pairs: list[tuple[int, int]] = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    # Rows past n act as +infinity: a pair that touches one never moves anything.
    pairs = [(a, b) for a, b in pairs if b < n]
    need, kept = {(n - 1) // 2}, []
    for a, b in reversed(pairs):
        if a in need or b in need:
            kept.append((a, b))
            need |= {a, b}
    return tuple(reversed(kept))


def median_rows(x: torch.Tensor, *, overwrite: bool = False) -> torch.Tensor:
    """The lower median along dim 0 of an (n, ...) tensor. Small rows go to torch.median:
    the network's cost there is its per-operation overhead, thousands of calls for 147
    rows. Both give the same values. x is untouched unless `overwrite` (a caller's
    temporary: the network then sorts its rows in place instead of copying them first)."""
    n = x.shape[0]
    if x[0].numel() < (SMALL if x.device.type == "cpu" else GPU_SMALL):
        return x.median(dim=0).values
    rows = list(x.unbind(0)) if overwrite else [r.clone() for r in x.unbind(0)]
    spare = torch.empty_like(rows[0])
    for a, b in median_network(n):
        torch.minimum(rows[a], rows[b], out=spare)
        torch.maximum(rows[a], rows[b], out=rows[b])
        rows[a], spare = spare, rows[a]
    return rows[(n - 1) // 2]

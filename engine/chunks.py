"""How much work the engine does per tensor operation: bounds memory at any resolution.

One place for the budgets so a CUDA out-of-memory can retry with smaller ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

SEARCH_ELEMENTS = 1 << 24  # descriptor floats gathered at once by PatchMatch (64 MB)
VOTE_BYTES = 96 * 2**20  # vote stack held at once
DESCRIBE_ELEMENTS = 1 << 26  # convolution output per slab when computing descriptors


@contextmanager
def smaller(factor: int) -> Iterator[None]:
    """Divide every budget by `factor` inside the block."""
    global SEARCH_ELEMENTS, VOTE_BYTES, DESCRIBE_ELEMENTS
    saved = SEARCH_ELEMENTS, VOTE_BYTES, DESCRIBE_ELEMENTS
    SEARCH_ELEMENTS, VOTE_BYTES, DESCRIBE_ELEMENTS = (max(1 << 12, v // max(1, factor)) for v in saved)
    try:
        yield
    finally:
        SEARCH_ELEMENTS, VOTE_BYTES, DESCRIBE_ELEMENTS = saved

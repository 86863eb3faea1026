"""How much work the engine does per tensor operation: bounds memory at any resolution.

A run carries its own `Budgets` (never module globals), so a CUDA out-of-memory retry with
smaller budgets in one run cannot change another run going on at the same time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budgets:
    search_elements: int = 1 << 24  # descriptor floats gathered at once by PatchMatch (64 MB)
    vote_bytes: int = 96 * 2**20  # vote stack held at once
    describe_elements: int = 1 << 22  # convolution output per slab (16 MB) when computing descriptors
    resize_elements: int = 1 << 25  # gathered taps per slab when resizing

    def smaller(self, factor: int) -> Budgets:
        """Every budget divided by `factor` (never below 4096)."""
        f = max(1, factor)
        return Budgets(*(max(1 << 12, v // f) for v in (self.search_elements, self.vote_bytes,
                                                        self.describe_elements, self.resize_elements)))


DEFAULT = Budgets()


def slabs(frames: int, rows: int, per_row: int, budget: int) -> list[tuple[int, int, int, int]]:
    """(t0, t1, y0, y1) blocks covering `frames` x `rows`, each costing at most `budget` where
    one row costs `per_row`: whole frames, or blocks of rows where one frame passes the
    budget. A block kept under the heap's largest is reused rather than mapped afresh."""
    per = max(1, min(rows, budget // max(1, per_row)))
    step = max(1, budget // max(1, per_row * rows)) if per == rows else 1
    return [(t0, min(frames, t0 + step), y0, min(rows, y0 + per))
            for t0 in range(0, frames, step) for y0 in range(0, rows, per)]

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

"""Finished results kept in memory, keyed by (source selection, request).

The engine is deterministic per seed, so the same key always means the same video; a hit
shows the result at once instead of running the engine again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from app.state.result_clip import ResultClip

DEFAULT_BUDGET_BYTES = 768 * 1024 * 1024


class ResultCache:
    """A least-recently-used cache of final ResultClips, bounded by their total bytes."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self._items: OrderedDict[Hashable, ResultClip] = OrderedDict()
        self._budget = budget_bytes

    def get(self, key: Hashable) -> ResultClip | None:
        clip = self._items.get(key)
        if clip is not None:
            self._items.move_to_end(key)
        return clip

    def find(self, match: Callable[[Hashable], bool]) -> ResultClip | None:
        """The most recently used result whose key `match` accepts, or None."""
        for key in reversed(self._items):
            if match(key):
                return self.get(key)
        return None

    def put(self, key: Hashable, clip: ResultClip) -> None:
        self._items[key] = clip
        self._items.move_to_end(key)
        while len(self._items) > 1 and self.total_bytes() > self._budget:
            self._items.popitem(last=False)

    def total_bytes(self) -> int:
        return sum(c.frames.nbytes for c in self._items.values())

    def clear(self) -> None:
        self._items.clear()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

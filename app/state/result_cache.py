"""Finished results kept in memory, keyed by (source selection, request).

The engine is deterministic per seed, so the same key always means the same video; a hit
shows the result at once instead of running the engine again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np

from app.state.result_clip import ResultClip

DEFAULT_BUDGET_BYTES = 768 * 1024 * 1024


def held_arrays(clip: ResultClip) -> list[np.ndarray]:
    """The arrays a cached result keeps alive: its frames, and the layers its request
    carries (an inpainting's mask and hints, a guided task's clip A or sketch), which a long
    Full-HD range makes as large as the video itself. A view keeps its whole base alive, so
    the base is what is held (a broadcast stand-in's base is one byte); each once."""
    r = clip.request
    held: dict[int, np.ndarray] = {}
    for a in (clip.frames, r.mask, r.hints, r.guide):
        if a is None:
            continue
        while isinstance(a.base, np.ndarray):
            a = a.base
        held[id(a)] = a
    return list(held.values())


class ResultCache:
    """A least-recently-used cache of final ResultClips, bounded by the bytes they hold:
    frames and request layers, each array counted once however many results share it (a
    grid of seeds shares one mask)."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self._items: OrderedDict[Hashable, ResultClip] = OrderedDict()
        self._budget = budget_bytes
        self._held: dict[int, tuple[np.ndarray, int]] = {}  # id -> (array, results holding it)
        self._bytes = 0

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
        old = self._items.pop(key, None)
        if old is not None:
            self._let_go(old)
        self._items[key] = clip
        self._hold(clip)
        while len(self._items) > 1 and self._bytes > self._budget:
            self._let_go(self._items.popitem(last=False)[1])

    def total_bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        self._items.clear()
        self._held.clear()
        self._bytes = 0

    def _hold(self, clip: ResultClip) -> None:
        for a in held_arrays(clip):
            array, n = self._held.get(id(a), (a, 0))
            if n == 0:
                self._bytes += a.nbytes
            self._held[id(a)] = (array, n + 1)

    def _let_go(self, clip: ResultClip) -> None:
        for a in held_arrays(clip):
            array, n = self._held[id(a)]
            if n == 1:
                del self._held[id(a)]
                self._bytes -= array.nbytes
            else:
                self._held[id(a)] = (array, n - 1)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

"""What surrounds a clip's picture and is kept out of what is made: black bars
(engine/bars.py), bars of another flat colour or blurred sides (engine/blurred_sides.py)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

from engine.bars import Bars, find_bars
from engine.blurred_sides import BlurredSides, find_sides

Surround = Bars | BlurredSides

# The last clips' surrounds: the editor runs a clip many times (every seed of the browser,
# every preview, and a realism score per result), and on a clip with soft edges the fit
# takes 0.2-0.6 s. Keyed by the frames' shape and a hash of every fourth pixel of every
# fourth row of every frame (a Full-HD clip of 100 frames: 40 ms).
_CACHE_SIZE = 8
_cache: OrderedDict[tuple, Surround] = OrderedDict()
_lock = threading.Lock()


def find_surround(frames: np.ndarray) -> Surround:
    """The blurred sides of a (T, H, W, 3) uint8 clip, else its black bars, else bars of
    another flat colour at two opposite edges (none: falsy). Blurred sides first: a dark
    scene's sides, blurred and darkened, are black enough in places to pass for a bar
    along one edge, which would leave the rest of them to be made as picture."""
    key = (frames.shape, hashlib.blake2b(np.ascontiguousarray(frames[:, ::4, ::4]).data, digest_size=16).digest())
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    found = _find(frames)
    with _lock:
        _cache[key] = found
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return found


def _find(frames: np.ndarray) -> Surround:
    sides = find_sides(frames)
    if isinstance(sides, BlurredSides) and sides:
        return sides
    bars = find_bars(frames)
    return bars if bars else sides

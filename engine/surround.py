"""What surrounds a clip's picture and is kept out of what is made: black bars
(engine/bars.py), bars of another flat colour or blurred sides (engine/blurred_sides.py)."""

from __future__ import annotations

import numpy as np

from engine.bars import Bars, find_bars
from engine.blurred_sides import BlurredSides, find_sides

Surround = Bars | BlurredSides


def find_surround(frames: np.ndarray) -> Surround:
    """The black bars of a (T, H, W, 3) uint8 clip, else bars of another flat colour at two
    opposite edges, else its blurred sides (none: falsy)."""
    bars = find_bars(frames)
    return bars if bars else find_sides(frames)

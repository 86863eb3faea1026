"""What surrounds a clip's picture and is kept out of what is made: black bars
(engine/bars.py), bars of another flat colour or blurred sides (engine/blurred_sides.py)."""

from __future__ import annotations

import numpy as np

from engine.bars import Bars, find_bars
from engine.blurred_sides import BlurredSides, find_sides

Surround = Bars | BlurredSides


def find_surround(frames: np.ndarray) -> Surround:
    """The blurred sides of a (T, H, W, 3) uint8 clip, else its black bars, else bars of
    another flat colour at two opposite edges (none: falsy). Blurred sides first: a dark
    scene's sides, blurred and darkened, are black enough in places to pass for a bar
    along one edge, which would leave the rest of them to be made as picture."""
    sides = find_sides(frames)
    if isinstance(sides, BlurredSides) and sides:
        return sides
    bars = find_bars(frames)
    return bars if bars else sides

"""A picture of a clip's quantised structure for the editor: the clip's frames tinted by
their motion level (engine.structure.colour_map: dark blue still, through green and yellow,
to red for the fastest level), shrunk to a thumbnail. No Qt here."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine.structure import Structure, clip_structure, colour_map

TINT = 0.6  # how much of a pixel is its level's colour (the rest: the clip, to recognise it)


def overlay_frames(frames: np.ndarray, structure: Structure, *, max_side: int = 320,
                   tint: float = TINT) -> np.ndarray:
    """(T, H, W, 3) uint8 frames and their structure -> (T, h, w, 3) uint8 tinted frames,
    the longer side at most `max_side`."""
    import cv2

    t, h, w = frames.shape[:3]
    s = min(1.0, max_side / max(h, w))
    size = (max(1, round(w * s)), max(1, round(h * s)))
    index = structure.index
    out = np.empty((t, size[1], size[0], 3), np.uint8)
    for i in range(t):
        small = cv2.resize(frames[i], size, interpolation=cv2.INTER_AREA)
        level = cv2.resize(index[min(i, len(index) - 1)], size, interpolation=cv2.INTER_NEAREST)
        tinted = small * (1 - tint) + colour_map(level, structure.levels) * tint
        out[i] = tinted.round().clip(0, 255).astype(np.uint8)
    return out


def legend(levels: int) -> np.ndarray:
    """(levels, 3) uint8: the colour of every level, slowest first."""
    return colour_map(np.arange(levels), levels)


def clip_overlay(frames: np.ndarray, levels: int, *, max_side: int = 320,
                 cancel: Callable[[], bool] | None = None,
                 still: str | None = None) -> tuple[np.ndarray, int]:
    """The tinted thumbnail frames of a clip's structure and how many levels it has (k-means
    may find fewer than asked). Raises InputError for a clip with no motion (`still`: the
    message for a one-frame clip, see clip_structure)."""
    structure = clip_structure(frames, levels, what="this clip", cancel=cancel, still=still)
    return overlay_frames(frames, structure, max_side=max_side), structure.levels

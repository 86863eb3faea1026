"""How the mask layer looks on screen: the RGBA overlay of one frame (display only)."""

from __future__ import annotations

import numpy as np

from app.inpaint.mask_model import HOLE, MaskModel

ONION_PREV = (70, 170, 255)  # the previous frame's hole, where this frame has none
ONION_NEXT = (255, 160, 40)  # the next frame's hole


def compose_overlay(out: np.ndarray, model: MaskModel, frame: int, ys: slice, xs: slice,
                    rgb: tuple[int, int, int], opacity: float, onion: bool) -> None:
    """Fill `out` (h, w, 4), the RGBA of box (ys, xs) of `frame`: the overlay colour by
    coverage, hint colours where painted, and faint neighbours' holes (onion skin) where
    this frame has none."""
    cover = model.mask[frame, ys, xs]
    op = int(round(opacity * 255))
    out[..., :3] = rgb
    out[..., 3] = (cover.astype(np.uint16) * op // 255).astype(np.uint8)
    hints = model.hints[frame, ys, xs]
    painted = hints[..., 3] > 0
    out[painted, :3] = hints[painted, :3]
    # Hint colours are what the fill will follow: show them nearly as painted.
    hint_op = min(255, op * 9 // 5)
    out[painted, 3] = (cover[painted].astype(np.uint16) * hint_op // 255).astype(np.uint8)
    if onion:
        empty = cover == 0
        for nf, color in ((frame - 1, ONION_PREV), (frame + 1, ONION_NEXT)):
            if 0 <= nf < model.shape[0]:
                ghost = empty & (model.mask[nf, ys, xs] >= HOLE)
                out[ghost, :3] = color
                out[ghost, 3] = max(40, op // 2)

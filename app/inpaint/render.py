"""How the mask layer looks on screen: the RGBA overlay of one frame (display only)."""

from __future__ import annotations

import numpy as np

from app.inpaint.mask_model import HOLE, MaskModel
from app.inpaint.ops import true_box

ONION_PREV = (70, 170, 255)  # the previous frame's hole, where this frame has none
ONION_NEXT = (255, 160, 40)  # the next frame's hole


def compose_overlay(out: np.ndarray, model: MaskModel, frame: int, ys: slice, xs: slice,
                    rgb: tuple[int, int, int], opacity: float, onion: bool) -> None:
    """Fill `out` (h, w, 4), the RGBA of box (ys, xs) of `frame`: the overlay colour by
    coverage, hint colours where painted, and faint neighbours' holes (onion skin) where
    this frame has none."""
    cover = model.mask[frame, ys, xs]
    op = int(round(opacity * 255))
    # The overlay colour with its alpha by coverage, RGBA as one little-endian word for each
    # coverage value: one lookup writes the four channels (the channels one by one took
    # 24 ms of the GUI thread for a Full-HD frame, after each Invert and its undo or redo).
    r, g, b = (int(c) for c in rgb)
    words = np.arange(256, dtype="<u4") * op // 255 << 24 | (b << 16 | g << 8 | r)
    np.take(words, cover, out=out.view("<u4")[..., 0], mode="clip")
    # Hint colours (most masks have none), over their own box: picking them out of a whole
    # Full-HD frame took 15 ms.
    found = true_box(model.hints[frame, ys, xs, 3][None]) if model.hinted else None
    if found is not None:
        _, by, bx = found
        hints, part, cover_part = model.hints[frame, ys, xs][by, bx], out[by, bx], cover[by, bx]
        # Where the run takes the colour (painted at least half, MaskModel's request
        # arrays); a soft hint's rim, shown in it too, went to the run as plain hole (a soft
        # hint inside a Remove hole looked up to four times its size).
        painted = hints[..., 3] >= HOLE
        part[painted, :3] = hints[painted, :3]
        # Hint colours are what the fill will follow: show them nearly as painted.
        hint_op = min(255, op * 9 // 5)
        part[painted, 3] = (cover_part[painted].astype(np.uint16) * hint_op // 255).astype(np.uint8)
    if onion:
        empty = cover == 0
        for nf, color in ((frame - 1, ONION_PREV), (frame + 1, ONION_NEXT)):
            if 0 <= nf < model.shape[0]:
                ghost = empty & (model.mask[nf, ys, xs] >= HOLE)
                out[ghost, :3] = color
                out[ghost, 3] = max(40, op // 2)

"""Colour quantisation for GIF output: one adaptive 256-colour palette for the whole clip.

FFmpeg's fixed rgb8 palette bands badly; a median-cut palette over the clip's own pixels
plus a light ordered dither looks far closer to the source and stays stable across frames.
"""

from __future__ import annotations

import numpy as np

_LUT_BITS = 6  # colours are matched on a 64^3 grid
_SAMPLE = 200_000  # pixels the palette is built from
_BAYER4 = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], np.float32)


def build_palette(frames: np.ndarray, colors: int = 256) -> np.ndarray:
    """(n, 3) uint8 palette by median cut over an even sample of the clip's pixels."""
    pixels = frames.reshape(-1, 3)
    step = max(1, len(pixels) // _SAMPLE)

    def span(box: np.ndarray) -> np.ndarray:
        return box.max(0) - box.min(0) if len(box) > 1 else np.zeros(3, np.int16)

    boxes = [pixels[::step].astype(np.int16)]
    spans = [span(boxes[0])]
    while len(boxes) < colors:
        # Split the box with the widest colour range along that channel, at its median.
        widest = int(np.argmax([s.max() for s in spans]))
        if spans[widest].max() == 0:
            break  # every box is a single colour
        box, box_span = boxes.pop(widest), spans.pop(widest)
        order = np.argsort(box[:, int(np.argmax(box_span))], kind="stable")
        half = len(box) // 2
        for part in (box[order[:half]], box[order[half:]]):
            boxes.append(part)
            spans.append(span(part))
    return np.array([b.mean(0) for b in boxes]).round().clip(0, 255).astype(np.uint8)


def _lookup_table(palette: np.ndarray) -> np.ndarray:
    """Nearest palette index for every cell of the colour grid."""
    n = 1 << _LUT_BITS
    centers = (np.arange(n, dtype=np.float32) + 0.5) * (256 / n)
    grid = np.stack(np.meshgrid(centers, centers, centers, indexing="ij"), -1).reshape(-1, 3)
    pal = palette.astype(np.float32)
    pal_sq = (pal**2).sum(1)
    out = np.empty(len(grid), np.uint8)
    for i in range(0, len(grid), 32768):  # chunks keep the distance matrix small
        # |g - p|^2 without the |g|^2 term, which does not change the argmin: one matmul.
        d = pal_sq[None] - 2.0 * grid[i : i + 32768] @ pal.T
        out[i : i + 32768] = d.argmin(1)
    return out.reshape(n, n, n)


class Quantizer:
    """Maps RGB frames to palette indices with the clip's palette."""

    def __init__(self, frames: np.ndarray) -> None:
        self.palette = build_palette(frames)
        self._lut = _lookup_table(self.palette)
        argb = np.zeros((256, 4), np.uint8)  # unused entries stay transparent
        argb[: len(self.palette), 0] = 255
        argb[: len(self.palette), 1:] = self.palette
        self.argb = argb

    def indices(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        # Ordered dither of about one grid step hides banding in smooth gradients.
        threshold = (_BAYER4 / 16.0 - 0.5) * (256 >> _LUT_BITS) * 1.5
        dither = np.tile(threshold, (h // 4 + 1, w // 4 + 1))[:h, :w, None]
        q = (frame.astype(np.float32) + dither).clip(0, 255).astype(np.uint8) >> (8 - _LUT_BITS)
        return np.ascontiguousarray(self._lut[q[..., 0], q[..., 1], q[..., 2]])

"""Tiny synthetic clips for the analogy and sketch tests (made in code, no files)."""

from __future__ import annotations

import numpy as np


def texture(h: int, w: int, seed: int, colours: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    """(H, W, 3) uint8: a smooth random mix of `colours`."""
    rng = np.random.default_rng(seed)
    base = rng.random((h, w, len(colours)))
    for _ in range(2):
        for axis in (0, 1):
            base = (np.roll(base, 1, axis) + base + np.roll(base, -1, axis)) / 3
    wts = base / base.sum(-1, keepdims=True)
    return (wts @ np.asarray(colours, np.float64)).round().clip(0, 255).astype(np.uint8)


def moving_square(t: int = 16, h: int = 48, w: int = 64, side: int = 16, step: int = -2,
                  seed: int = 0) -> np.ndarray:
    """(T, H, W, 3): a bright textured square sliding `step` px per frame (negative = left)
    across a still grey texture, centred in time on the frame's middle."""
    bg = texture(h, w, seed, ((40, 40, 40), (150, 150, 150)))
    fg = texture(h + side, w + side, seed + 1, ((230, 230, 230), (250, 250, 200), (200, 200, 220)))
    frames = np.repeat(bg[None], t, axis=0).copy()
    y0 = (h - side) // 2
    for i in range(t):
        x0 = (w - side) // 2 + step * (i - t // 2)
        x0 = int(np.clip(x0, 0, w - side))
        # The square's texture moves with it, so its flow is the square's motion.
        frames[i, y0 : y0 + side, x0 : x0 + side] = fg[:side, :side]
    return frames


def look_clip(t: int = 16, h: int = 48, w: int = 64, seed: int = 5) -> np.ndarray:
    """(T, H, W, 3): B, a still green texture with a red textured band flowing down its
    right third."""
    bg = texture(h, w, seed, ((30, 120, 40), (60, 160, 60), (20, 90, 30)))
    red = texture(h + 4 * t, w, seed + 1, ((220, 30, 20), (250, 90, 40), (180, 20, 30)))
    frames = np.repeat(bg[None], t, axis=0).copy()
    x0, x1 = 2 * w // 3, w
    for i in range(t):
        frames[i, :, x0:x1] = red[4 * t - 4 * i : 4 * t - 4 * i + h, x0:x1]
    return frames


def redness(frames: np.ndarray) -> np.ndarray:
    """(T, H, W) bool: pixels in B's moving red."""
    f = frames.astype(np.int16)
    return (f[..., 0] > 140) & (f[..., 1] < 120) & (f[..., 0] - f[..., 1] > 80)


def sketch_frames(t: int = 16, h: int = 48, w: int = 64, bar: int = 20, step: int = 1) -> np.ndarray:
    """(T, H, W, 3): a black bar on white sliding `step` px per frame to the left (an animated sketch),
    about as wide as B's moving band (a stroke much thinner than the look's moving regions
    matches their edges at the coarse levels and comes out thin)."""
    frames = np.full((t, h, w, 3), 255, np.uint8)
    for i in range(t):
        x0 = (w - bar) // 2 - step * (i - t // 2)
        frames[i, 6 : h - 6, x0 : x0 + bar] = 0
    return frames

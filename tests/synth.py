"""Small synthetic clips made in code for the engine tests."""

from __future__ import annotations

import numpy as np


def moving_texture(t: int = 8, h: int = 40, w: int = 56, seed: int = 0) -> np.ndarray:
    """(T, H, W, 3) uint8: smooth random texture drifting right, with a bouncing blob."""
    rng = np.random.default_rng(seed)
    base = rng.random((h + 8, w + 3 * t + 8, 3))
    # Blur a little so patches have structure rather than pure noise.
    for axis in (0, 1):
        base = (np.roll(base, 1, axis) + base + np.roll(base, -1, axis)) / 3
    frames = []
    for i in range(t):
        f = base[4 : 4 + h, 3 * i : 3 * i + w].copy()
        cy, cx = h // 2 + int(6 * np.sin(i / 2)), 8 + 3 * i % (w - 16)
        yy, xx = np.mgrid[:h, :w]
        blob = (yy - cy) ** 2 + (xx - cx) ** 2 < 16
        f[blob] = (0.9, 0.2, 0.1)
        frames.append(f)
    return (np.stack(frames) * 255).round().astype(np.uint8)


def final(frames: np.ndarray, request, cancel=None):
    """The last LevelResult of a run (the output)."""
    from collections import deque

    from engine.run import run

    return deque(run(frames, request, cancel), maxlen=1)[0]

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


def balloon_scene(t: int = 10, h: int = 48, w: int = 80, seed: int = 0) -> np.ndarray:
    """(T, H, W, 3) uint8: a sky gradient with soft clouds drifting, coloured discs rising at
    their own speeds and a textured ground band: objects that a broken variation splits,
    merges or floats in the wrong place, for the quality bounds."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w].astype(np.float64)
    ground_top = int(h * 0.78)
    clouds = rng.random((h // 4 + 2, w // 4 + t + 2))
    clouds = np.kron(clouds, np.ones((4, 4)))
    for axis in (0, 1):
        clouds = (np.roll(clouds, 2, axis) + clouds + np.roll(clouds, -2, axis)) / 3
    ground = rng.random((h - ground_top, w))
    discs = [(rng.uniform(8, w - 8), rng.uniform(8, ground_top - 4), rng.uniform(3, 5), rng.uniform(0.6, 1.6),
              rng.random(3) * 0.8 + 0.1) for _ in range(7)]
    frames = []
    for i in range(t):
        sky = np.stack([0.35 + 0.4 * yy / h, 0.5 + 0.2 * yy / h, 0.9 - 0.3 * yy / h], -1)
        c = clouds[:h, i : i + w][..., None]
        f = sky * (1 - 0.35 * c) + 0.35 * c
        for x0, y0, r, v, colour in discs:
            cy = (y0 - v * i) % (ground_top - 6) + 3
            f[(yy - cy) ** 2 + (xx - x0) ** 2 < r * r] = colour
        f[ground_top:] = np.stack([0.25 + 0.3 * ground, 0.2 + 0.25 * ground, 0.1 + 0.1 * ground], -1)
        frames.append(f)
    return (np.clip(np.stack(frames), 0, 1) * 255).round().astype(np.uint8)


FIGURE_PARTS = {"head": (242, 217, 51), "body": (230, 38, 25), "legs": (38, 77, 230)}


def figure_scene(t: int = 10, h: int = 48, w: int = 80, seed: int = 0) -> np.ndarray:
    """(T, H, W, 3) uint8: one large figure (a yellow head, a red body, blue legs; two thirds
    of the frame high) swaying over a dark textured backdrop and a floor: a single subject
    that a broken variation cuts into pieces (legs without a body) or loses."""
    rng = np.random.default_rng(seed)
    base = rng.random((h, w + 2 * t, 3)) * 0.25 + 0.1
    for axis in (0, 1):
        base = (np.roll(base, 1, axis) + base + np.roll(base, -1, axis)) / 3
    floor = int(h * 0.7)
    head, body, legs = (np.array(c) / 255 for c in FIGURE_PARTS.values())
    frames = []
    for i in range(t):
        f = base[:, i : i + w].copy()
        f[floor:] = f[floor:] * 0.5 + np.array([0.5, 0.45, 0.4]) * 0.5
        x0, y0 = w * 3 // 8 + int(3 * np.sin(i / 2)), h // 6
        f[y0 : y0 + 8, x0 + 2 : x0 + 8] = head
        f[y0 + 8 : y0 + 22, x0 : x0 + 10] = body
        f[y0 + 22 : y0 + 34, x0 + 1 : x0 + 4] = legs
        f[y0 + 22 : y0 + 34, x0 + 6 : x0 + 9] = legs
        frames.append(f)
    return (np.clip(np.stack(frames), 0, 1) * 255).round().astype(np.uint8)


def figure_parts(video: np.ndarray) -> np.ndarray:
    """Pixels of each of figure_scene's parts (head, body, legs) in a (T, H, W, 3) video."""
    v = video.astype(np.int32)
    return np.array([(np.abs(v - np.array(c)).sum(-1) < 90).sum() for c in FIGURE_PARTS.values()])

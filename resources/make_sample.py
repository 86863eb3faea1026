"""Synthesise the bundled sample clip procedurally (numpy only, no outside data).

Run: python resources/make_sample.py  ->  resources/sample.mp4
A 2 s, 15 fps, 256x144 sky: drifting soft clouds (multi-octave value noise advected over
time), balloons floating on smooth independent paths, and a meadow of swaying grass.
Deterministic: a fixed seed, so the file only changes when this script does.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

WIDTH, HEIGHT, FRAMES, FPS = 256, 144, 30, 15
HORIZON = 104  # first row of the meadow
SEED = 20240611
OUT = Path(__file__).resolve().with_name("sample.mp4")


def value_noise(grid: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Smoothly interpolated lattice noise; x, y in lattice units, wrapping around."""
    gh, gw = grid.shape
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)  # smoothstep: no grid seams

    def at(dy: int, dx: int) -> np.ndarray:
        return grid[(y0 + dy) % gh, (x0 + dx) % gw]

    top = at(0, 0) * (1 - fx) + at(0, 1) * fx
    bottom = at(1, 0) * (1 - fx) + at(1, 1) * fx
    return top * (1 - fy) + bottom * fy


def sky(t: float, grids: list[np.ndarray], ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Gradient sky with clouds; each octave drifts at its own speed (parallax)."""
    v = ys / HORIZON
    top, low = np.array([40, 90, 170.0]), np.array([170, 205, 235.0])
    img = top * (1 - v[..., None]) + low * v[..., None]
    density = np.zeros_like(v)
    amp, total = 1.0, 0.0
    for i, grid in enumerate(grids):
        scale = 2.0**i / 48.0
        speed = 9.0 + 5.0 * i  # pixels per second
        density += amp * value_noise(grid, (xs - speed * t) * scale, ys * scale * 1.6 + 0.2 * t * i)
        total += amp
        amp *= 0.5
    density /= total
    cover = np.clip((density - 0.45) * 3.2, 0, 1) * (1 - 0.6 * v)  # thinner near the horizon
    shade = 0.82 + 0.18 * (1 - v)  # cloud bellies a little darker
    cloud = np.stack([250 * shade, 250 * shade, 255 * shade], -1)
    return img * (1 - cover[..., None]) + cloud * cover[..., None]


def meadow(img: np.ndarray, t: float, grass: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> None:
    """Grass below the horizon: blades lean with a travelling gust."""
    rows = ys[HORIZON:]
    depth = (rows - HORIZON) / (HEIGHT - HORIZON)  # 0 at the horizon, 1 at the bottom
    sway = 2.5 * depth * np.sin(2 * np.pi * (0.5 * t - xs[HORIZON:] / 90.0))
    blades = value_noise(grass, (xs[HORIZON:] + sway) / 2.2, rows / 9.0)
    base = np.array([70, 120, 45.0]) * (0.75 + 0.35 * depth[..., None])
    tint = (blades[..., None] - 0.5) * np.array([50, 70, 30.0])
    img[HORIZON:] = base + tint


def balloons(img: np.ndarray, t: float, params: np.ndarray, xs: np.ndarray,
             ys: np.ndarray) -> None:
    """Soft-edged ellipses on smooth Lissajous-like paths, with a highlight and a string."""
    for cx0, cy0, ax, ay, fx, fy, phase, r, g, b, size in params:
        cx = cx0 + ax * np.sin(2 * np.pi * fx * t + phase) + 14 * t
        cx = (cx + 20) % (WIDTH + 40) - 20  # drift right, wrap around
        cy = cy0 + ay * np.sin(2 * np.pi * fy * t + 2 * phase)
        rx, ry = size, size * 1.25
        d = ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2
        alpha = np.clip((1 - d) * rx * 0.6, 0, 1)[..., None]
        light = np.clip(1.25 - 0.5 * np.hypot(xs - cx + 0.35 * rx, ys - cy + 0.4 * ry) / rx, 0.6, 1.25)
        colour = np.array([r, g, b])[None, None] * light[..., None]
        img[:] = img * (1 - alpha) + np.clip(colour, 0, 255) * alpha
        string = (np.abs(xs - cx - 0.6 * np.sin(ys / 4 + t * 3)) < 0.6) & (ys > cy + ry) & (
            ys < cy + ry + 14)
        img[string] = img[string] * 0.4 + 60


def render() -> np.ndarray:
    rng = np.random.default_rng(SEED)
    grids = [rng.random((24, 32)) for _ in range(4)]
    grass = rng.random((32, 128))
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64)
    # x, y, x-amplitude, y-amplitude, x-freq, y-freq, phase, r, g, b, radius
    params = np.array([
        [40, 40, 18, 8, 0.20, 0.33, 0.0, 220, 50, 50, 9],
        [130, 62, 24, 10, 0.15, 0.27, 1.3, 245, 200, 40, 7],
        [200, 30, 14, 6, 0.27, 0.21, 2.1, 60, 110, 230, 6],
        [90, 78, 30, 7, 0.12, 0.40, 4.0, 160, 70, 200, 5],
    ])
    frames = np.empty((FRAMES, HEIGHT, WIDTH, 3), np.uint8)
    for i in range(FRAMES):
        t = i / FPS
        img = sky(t, grids, ys, xs)
        meadow(img, t, grass, xs, ys)
        balloons(img, t, params, xs, ys)
        frames[i] = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    return frames


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
    from engine.io import write_video

    write_video(render(), OUT, fps=Fraction(FPS), crf=18)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} kB)")


if __name__ == "__main__":
    main()

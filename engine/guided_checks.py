"""Quality checks for analogies and sketches, shared by the tests and `tools/bench_guided.py`.

Motion map (issue 8): the per-pixel mean over time of the optical-flow magnitude (OpenCV DIS,
preset MEDIUM), computed on frames resized to 456x256 and Gaussian-blurred with sigma 8 px.
A result follows A's layout when its motion map correlates (Pearson) with A's. The paper's
analogies score 0.75 (lava layout) and 0.88 (waterfall layout); B itself scores 0.49.
"""

from __future__ import annotations

import numpy as np

from engine.flow import flow_magnitude

MAP_SIZE = (256, 456)  # (H, W) the motion maps are compared at
SIGMA = 8.0


def motion_map(frames: np.ndarray, size: tuple[int, int] = MAP_SIZE, sigma: float = SIGMA) -> np.ndarray:
    """(T, H, W, 3) uint8 -> (H', W') float32: mean DIS-medium flow magnitude, blurred."""
    import cv2

    h, w = size
    small = np.stack([cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in frames])
    mag = flow_magnitude(small, preset="medium", max_side=None)
    mean = mag.mean(0)
    return cv2.GaussianBlur(mean, (0, 0), sigmaX=sigma, sigmaY=sigma)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = a.astype(np.float64).ravel() - a.mean()
    b = b.astype(np.float64).ravel() - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else 0.0


def motion_correlation(layout: np.ndarray, result: np.ndarray) -> float:
    """Pearson correlation of the result's motion map with the layout clip's (both resized
    to 456x256 first, so any sizes compare)."""
    return pearson(motion_map(layout), motion_map(result))


def sketch_following(sketch: np.ndarray, result: np.ndarray, size: int = 256,
                     sigma: float = SIGMA) -> float:
    """How well a result's motion follows a sketch's ink: per frame, the Pearson correlation
    of the sketch's darkness with the result's DIS-medium flow magnitude (both at size x size,
    blurred with `sigma`), averaged over frames. A one-frame sketch counts for every frame."""
    import cv2

    from engine.structure import darkness

    def small(frames: np.ndarray) -> np.ndarray:
        return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in frames])

    def blur(m: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(m.astype(np.float32), (0, 0), sigmaX=sigma, sigmaY=sigma)

    ink = darkness(small(sketch))
    motion = flow_magnitude(small(result), preset="medium", max_side=None)
    t = len(motion)
    pick = np.minimum(np.arange(t) * len(ink) // t, len(ink) - 1)
    return float(np.mean([pearson(blur(ink[pick[i]]), blur(motion[i])) for i in range(t)]))

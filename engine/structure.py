"""Dynamic structure: where a clip moves and how fast, quantised into a few levels.

A clip's structure is its optical-flow magnitude (`engine.flow`) quantised by 1D k-means
into N levels sorted by speed (level 0 = the slowest). A sketch's structure comes from how
dark it is instead: ink (or a dark flat colour) stands for fast motion, paper for none.

Normalisation, as in the authors' analogies (and the paper's layout/appearance ablation):
a pixel on level i of N gets the value (i / (N - 1)) ** 0.25. Both clips land in [0, 1]
whatever their own number of levels or their speeds (the lava creeps at 4 px per frame,
the waterfall falls at 6): only the ranks of the speeds are compared, never the pixels per
frame. The 4th root lifts the moving levels close together and far from the still one, so
"moves or not" weighs most and "how fast" refines it.

Everything here is numpy/torch only (no Qt). Arrays are (T, H, W).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from engine.errors import InputError
from engine.flow import flow_magnitude

MAX_LEVELS = 16
# A clip whose 99.5th-percentile flow is under this (pixels per frame) does not move: what
# DIS finds there is compression noise.
NO_MOTION = 0.1
# A pixel this much darker (or lighter) than the paper is ink.
NO_STROKES = 0.15
MIN_STROKE_PIXELS = 12  # a 3x4 dot (or a 1e-5 share of a long clip) is the least that counts
POWER = 0.25


@dataclass(frozen=True)
class Structure:
    """Quantised structure of a clip or sketch: `index` (T, H, W) uint8 level per pixel, 0 =
    still / paper; `levels` how many there are; `values` the normalised float32 map."""

    index: np.ndarray
    levels: int

    @property
    def values(self) -> np.ndarray:
        return normalise(self.index, self.levels)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.index.shape)  # type: ignore[return-value]

    def held(self, frames: int) -> Structure:
        """A one-frame structure held still for `frames` frames (others unchanged)."""
        if self.index.shape[0] != 1 or frames == 1:
            return self
        return Structure(np.repeat(self.index, frames, axis=0), self.levels)


def normalise(index: np.ndarray, levels: int) -> np.ndarray:
    """Level i of N -> (i / (N - 1)) ** 0.25 as float32 (all zeros for one level)."""
    if levels < 2:
        return np.zeros(index.shape, np.float32)
    table = (np.arange(levels, dtype=np.float64) / (levels - 1)) ** POWER
    return table.astype(np.float32)[index]


def kmeans_1d(values: torch.Tensor, k: int, *, seed: int = 0, iters: int = 100,
              sample: int = 200_000) -> torch.Tensor:
    """Centres of a 1D k-means of `values`, sorted ascending (fewer than k when there are
    fewer distinct values). Deterministic for a seed: the seed only picks the subsample the
    centres are fitted on when there are more than `sample` values. Starts from centres
    spread evenly over [min, 99.9th percentile] (as sklearn's KBinsDiscretizer does over the
    full range, minus the rare outliers that would leave most centres empty)."""
    if k < 1:
        raise ValueError(f"k-means needs k >= 1, got {k}")
    v = values.detach().flatten().to(torch.float64)
    if v.numel() == 0:
        raise ValueError("k-means of no values")
    if v.numel() > sample:
        g = torch.Generator().manual_seed(int(seed))
        v = v[torch.randperm(v.numel(), generator=g)[:sample].to(v.device)]
    lo = float(v.min())
    hi = float(torch.quantile(v[: min(v.numel(), 16_000_000)], 0.999))
    if hi <= lo:
        hi = float(v.max())
    if hi <= lo:
        return torch.tensor([lo], dtype=torch.float64)
    edges = torch.linspace(lo, hi, k + 1, dtype=torch.float64)
    centres = 0.5 * (edges[1:] + edges[:-1])
    for _ in range(iters):
        idx = torch.bucketize(v, 0.5 * (centres[1:] + centres[:-1]))
        sums = torch.zeros(k, dtype=torch.float64).index_add_(0, idx, v)
        counts = torch.bincount(idx, minlength=k).to(torch.float64)
        new = torch.where(counts > 0, sums / counts.clamp_min(1), centres)
        empty = torch.nonzero(counts == 0).flatten()
        if empty.numel():
            # An empty cluster restarts on the value farthest from its own centre (the usual
            # fix; without it two flat colours can share a centre while a level stays empty).
            err = (v - new[idx]).abs()
            for e in empty.tolist():
                j = int(err.argmax())
                if float(err[j]) <= 0:
                    break
                new[e] = v[j]
                err[(v - v[j]).abs() < (v - new[idx]).abs()] = 0
        new, _ = torch.sort(new)
        if torch.allclose(new, centres, rtol=0, atol=1e-9):
            centres = new
            break
        centres = new
    # Only centres that hold values: an empty cluster is not a level.
    idx = torch.bucketize(v, 0.5 * (centres[1:] + centres[:-1]))
    used = torch.bincount(idx, minlength=k) > 0
    return torch.unique(centres[used])


def quantise(values: np.ndarray, levels: int, *, seed: int = 0) -> Structure:
    """Quantise a (T, H, W) map into at most `levels` k-means levels, sorted by value."""
    check_levels(levels)
    x = torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))
    centres = kmeans_1d(x, levels, seed=seed)
    mids = (0.5 * (centres[1:] + centres[:-1])).to(torch.float32)
    index = torch.bucketize(x, mids).to(torch.uint8).numpy()
    return Structure(index, int(centres.numel()))


def check_levels(levels: int, what: str = "levels") -> None:
    if not isinstance(levels, int) or not 2 <= levels <= MAX_LEVELS:
        raise InputError(f"{what} must be a whole number from 2 to {MAX_LEVELS}, got {levels}")


# --- clips -----------------------------------------------------------------------------

_CACHE: OrderedDict[tuple, Structure] = OrderedDict()
_CACHE_SIZE = 6


def _digest(frames: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((frames.shape, frames.dtype.str)).encode())
    h.update(np.ascontiguousarray(frames).data)
    return h.hexdigest()


def clip_structure(frames: np.ndarray, levels: int, *, seed: int = 0, what: str = "the clip",
                   cancel: Callable[[], bool] | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   still: str | None = None) -> Structure:
    """The dynamic structure of a (T, H, W, 3) uint8 clip: its flow magnitude quantised into
    `levels` levels (at the clip's size). Raises InputError for a clip with no motion
    (naming it by `what`; `still`: the message for a one-frame clip, where the advice
    depends on the clip's role: a sketch can stand in for a layout, not for a look).
    Remembered for the last few clips, so seeds, previews and the editor's overlay do not
    compute the same flow twice."""
    check_levels(levels)
    key = (_digest(frames), levels, seed)
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    if frames.shape[0] < 2:
        raise InputError(still or f"{what} has one frame: a still image has no motion to "
                         "follow (use a clip, or a sketch)")
    mag = flow_magnitude(frames, cancel=cancel, progress=progress)
    moving = float(np.percentile(mag, 99.5))
    if moving < NO_MOTION:
        raise InputError(f"{what} has no motion (its fastest pixels move {moving:.2f} px a "
                         "frame), so there is none to copy; choose a clip where something moves")
    s = quantise(mag, levels, seed=seed)
    _CACHE[key] = s
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return s


# --- sketches --------------------------------------------------------------------------

def darkness(frames: np.ndarray) -> np.ndarray:
    """(T, H, W, 3) uint8 -> (T, H, W) float32, 0 = white, 1 = black (Rec. 601 luma)."""
    f = frames.astype(np.float32)
    luma = f[..., 0] * 0.299 + f[..., 1] * 0.587 + f[..., 2] * 0.114
    return 1.0 - luma / 255.0


INK = 0.15  # darkness over which a sketch's pixel is drawn on (ink or a tone), not paper


def ink_speed(frames: np.ndarray, *, pairs: int = 24, side: int = 180) -> float:
    """How fast a sketch's drawing moves, in its pixels per frame: over consecutive frames,
    the pixels that change between drawn and paper over the drawing's outline (a shape
    sliding v pixels along its normal changes about v pixels per pixel of outline), the
    75th percentile over the frames compared (a drawing held still between key frames is
    not slower where it moves). 0 for one frame or one drawing held. At most `pairs` pairs
    are looked at, on frames thinned to about `side` pixels (the figure scaled back)."""
    t, h, w = frames.shape[:3]
    if t < 2:
        return 0.0
    k = max(1, min(h, w) // side)
    step = max(1, (t - 1) // pairs)
    speeds = []
    for i in range(0, t - 1, step):
        a, b = (darkness(frames[j, ::k, ::k]) > INK for j in (i, i + 1))
        outline = (_outline(a) + _outline(b)) / 2
        if outline:
            speeds.append(float(np.count_nonzero(a ^ b)) / outline)
    return float(np.percentile(speeds, 75)) * k if speeds else 0.0


def _outline(ink: np.ndarray) -> int:
    """Drawn pixels with a paper pixel beside them (4-neighbours; the frame's edge is not
    paper)."""
    inner = ink.copy()
    inner[1:] &= ink[:-1]
    inner[:-1] &= ink[1:]
    inner[:, 1:] &= ink[:, :-1]
    inner[:, :-1] &= ink[:, 1:]
    return int(np.count_nonzero(ink & ~inner))


def tone_peaks(dark: np.ndarray, *, share: float = 0.01, bins: int = 32) -> list[int]:
    """The flat tones of a sketch: the bins (of `bins` over darkness 0..1) that are peaks of
    its darkness histogram holding at least `share` of the pixels. Antialiased stroke edges
    spread thinly between the peaks."""
    hist, _ = np.histogram(dark, bins=bins, range=(0.0, 1.0))
    hist = hist / max(1, hist.sum())
    padded = np.concatenate([[0.0], hist, [0.0]])
    return [i for i in range(bins)
            if hist[i] >= share and hist[i] >= padded[i] and hist[i] > padded[i + 2]]


def count_tones(dark: np.ndarray, *, share: float = 0.01, bins: int = 32) -> int:
    """How many flat tones a sketch (T, H, W) darkness has (tone_peaks on every other pixel)."""
    return len(tone_peaks(dark[:, ::2, ::2], share=share, bins=bins))


def sketch_structure(frames: np.ndarray, levels: int | None = None, *, seed: int = 0,
                     frames_out: int | None = None, what: str = "the sketch") -> Structure:
    """The structure a sketch stands for: darker = faster. Black strokes on white give two
    levels (ink moves, paper is still); a sketch of a few flat colours gives one level per
    tone, ranked by darkness. `levels` None counts the tones. One image is held still for
    `frames_out` frames. Raises InputError for a sketch with nothing drawn on it."""
    if not isinstance(frames, np.ndarray) or frames.ndim != 4 or frames.shape[-1] != 3 \
            or frames.dtype != np.uint8:
        raise InputError(f"{what} must be (T, H, W, 3) uint8 frames")
    dark = darkness(frames)
    # Drawn: a few pixels stand out from the paper (the commonest tone), however thin the
    # strokes (a percentile test missed a line under 0.5% of the frame); a speck of
    # compression noise does not.
    sample = dark[:, ::4, ::4]
    paper = float(np.median(sample)) if sample.size else float(np.median(dark))
    drawn = int(np.count_nonzero(np.abs(dark - paper) >= NO_STROKES))
    if drawn < max(MIN_STROKE_PIXELS, dark.size * 1e-5):
        raise InputError(f"{what} has no strokes: it is one flat tone; draw the shape to follow "
                         "in black (or darker colours) on white")
    if levels is None:
        levels = min(8, max(2, count_tones(dark)))
    check_levels(levels, "sketch levels")
    s = quantise(dark, levels, seed=seed)
    if s.levels < 2:
        raise InputError(f"{what} has no strokes")
    return s.held(frames_out) if frames_out else s


def colour_map(index: np.ndarray, levels: int) -> np.ndarray:
    """(..., ) level indices -> (..., 3) uint8 colours for an overlay: still = dark blue,
    then through green and yellow to red for the fastest level."""
    stops = np.array([[30, 40, 110], [40, 150, 200], [80, 190, 90], [240, 210, 60], [220, 50, 40]],
                     np.float64)
    t = np.linspace(0, 1, max(levels, 2))
    pos = t * (len(stops) - 1)
    i0 = np.minimum(pos.astype(int), len(stops) - 2)
    frac = (pos - i0)[:, None]
    table = (stops[i0] * (1 - frac) + stops[i0 + 1] * frac).round().astype(np.uint8)
    return table[np.minimum(index, levels - 1)]

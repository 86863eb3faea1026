"""Space-time pyramid: level shapes and bicubic resizing in T, H and W.

Videos are torch tensors shaped (C, T, H, W) with values in [-1, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from engine.config import Settings, Shape3


@dataclass(frozen=True)
class Level:
    """One pyramid level: the source's shape and the output's shape there."""

    source: Shape3
    output: Shape3
    patch: Shape3
    em_iters: int
    large: bool = False  # above Settings.large_voxels: the cheaper settings apply


@dataclass(frozen=True)
class Plan:
    levels: list[Level]  # coarse to fine
    notes: list[str]


def _scales(size: int, factor: float, minimum: int) -> list[float]:
    """Scale per level (finest first) for one axis: factor**n, never below minimum/size."""
    if size <= minimum:
        return [1.0]
    n = math.ceil(math.log(minimum / size) / math.log(factor))
    return [max(factor**i, minimum / size) for i in range(n + 1)]


def plan_levels(source: Shape3, output: Shape3, settings: Settings) -> Plan:
    """Shapes of every level, coarse to fine, adapting patch and minimums to tiny inputs.

    Spatial and temporal axes shrink together until one hits its minimum; the other keeps
    shrinking alone (supplementary 1.1). The output shrinks by the same per-axis scales.
    """
    notes: list[str] = []
    t, h, w = source
    pt, ph, pw = settings.patch_size
    if t < pt:
        notes.append(f"clip has {t} frame(s): temporal patch size {pt} -> {t}")
        pt = t
    if min(h, w) < max(ph, pw):
        side = min(h, w)
        notes.append(f"frame is {w}x{h}: spatial patch size {ph}x{pw} -> {side}x{side}")
        ph = pw = side
    min_side = max(settings.min_side, ph, pw)
    min_frames = max(settings.min_frames, pt)
    if min(h, w) <= min_side:
        notes.append(f"frame is only {w}x{h}: no spatial downscaling")
    if t <= min_frames and t > 1:
        notes.append(f"clip has only {t} frames: no temporal downscaling")

    s_scales = _scales(min(h, w), settings.spatial_factor, min_side)
    t_scales = _scales(t, settings.temporal_factor, min_frames)
    count = max(len(s_scales), len(t_scales))
    s_scales += [s_scales[-1]] * (count - len(s_scales))
    t_scales += [t_scales[-1]] * (count - len(t_scales))

    ot, oh, ow = output
    levels: list[Level] = []
    for ss, ts in zip(reversed(s_scales), reversed(t_scales), strict=True):
        src = (_dim(t, ts, pt), _dim(h, ss, ph), _dim(w, ss, pw))
        out = (_dim(ot, ts, pt), _dim(oh, ss, ph), _dim(ow, ss, pw))
        patch = (pt, ph, pw)
        iters = settings.em_iters
        large = max(math.prod(src), math.prod(out)) > settings.large_voxels
        if large:
            lt, lh, lw = settings.large_patch_size
            patch = (min(pt, lt), min(ph, lh), min(pw, lw))
            iters = min(iters, settings.large_em_iters)
        levels.append(Level(src, out, patch, iters, large))
    return Plan(levels, notes)


def _dim(size: int, scale: float, minimum: int) -> int:
    return max(minimum, round(size * scale)) if size >= minimum else size


def resize(video: torch.Tensor, shape: Shape3) -> torch.Tensor:
    """Bicubic resize of a (C, T, H, W) video to (T, H, W); antialiased when shrinking."""
    c, t, h, w = video.shape
    nt, nh, nw = shape
    out = video
    if (nh, nw) != (h, w):
        frames = out.permute(1, 0, 2, 3)  # (T, C, H, W): frames as a batch
        frames = F.interpolate(
            frames, size=(nh, nw), mode="bicubic", align_corners=False,
            antialias=nh < h or nw < w,
        )
        out = frames.permute(1, 0, 2, 3)
    if nt != t:
        # Temporal resize as a 2D bicubic over (T, W) with W unchanged: a cubic kernel at
        # integer offsets is the identity, so only T is resampled.
        hh, ww = out.shape[2], out.shape[3]
        planes = out.permute(0, 2, 1, 3).reshape(1, c * hh, t, ww)
        planes = F.interpolate(
            planes, size=(nt, ww), mode="bicubic", align_corners=False, antialias=nt < t
        )
        out = planes.reshape(c, hh, nt, ww).permute(0, 2, 1, 3)
    return out.contiguous()


class LazyPyramid:
    """The source at every level's size, each resized from the full source when first used:
    the coarsest level is ready at once (a quick first preview) and a run that is
    cancelled early never pays for the fine levels."""

    def __init__(self, video: torch.Tensor, levels: list[Level]) -> None:
        self.video, self.shapes = video, [lv.source for lv in levels]
        self._cache: dict[int, torch.Tensor] = {}

    def __len__(self) -> int:
        return len(self.shapes)

    def __getitem__(self, n: int) -> torch.Tensor:
        n = n + len(self) if n < 0 else n
        if n not in self._cache:
            self._cache[n] = resize(self.video, self.shapes[n])
        return self._cache[n]

    def __iter__(self):
        return (self[n] for n in range(len(self)))

    def drop_below(self, n: int) -> None:
        """Forget cached levels coarser than n (they are not needed again)."""
        for k in [k for k in self._cache if k < n]:
            del self._cache[k]

    def skip(self, first: int) -> LazyPyramid:
        """The same pyramid without its `first` coarsest levels."""
        out = LazyPyramid.__new__(LazyPyramid)
        out.video, out.shapes = self.video, self.shapes[first:]
        out._cache = {k - first: v for k, v in self._cache.items() if k >= first}
        return out

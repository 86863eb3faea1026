"""Space-time pyramid: level shapes and bicubic resizing in T, H and W.

Videos are torch tensors shaped (C, T, H, W) with values in [-1, 1].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from engine.chunks import DEFAULT, Budgets
from engine.config import Settings, Shape3
from engine.errors import Cancelled


@dataclass(frozen=True)
class Level:
    """One pyramid level: the source's shape and the output's shape there."""

    source: Shape3
    output: Shape3
    patch: Shape3
    em_iters: int
    large: bool = False  # above Settings.large_voxels: the cheaper settings apply
    fine: bool = False  # output above Settings.fine_voxels: the fine levels' settings apply


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
    ot, oh, ow = output
    pt, ph, pw = settings.patch_size
    # A patch must fit the output as well as the source (a retarget to fewer frames or a
    # thinner frame than a patch), or the output has no patch to search for.
    if min(t, ot) < pt:
        n = min(t, ot)
        frames = f"{n} frame{'s' if n != 1 else ''}"
        what = f"the clip has {frames}" if t <= ot else f"the output has {frames}"
        notes.append(f"{what}: patches span {frames} instead of {pt}")
        pt = min(t, ot)
    if min(h, w, oh, ow) < max(ph, pw):
        side = min(h, w, oh, ow)
        what = f"the frame is {w}x{h}" if min(h, w) <= min(oh, ow) else f"the output frame is {ow}x{oh}"
        notes.append(f"{what}: patches are {side}x{side} pixels instead of {pw}x{ph}")
        ph = pw = side
    min_side = max(settings.min_side, ph, pw)
    min_frames = max(settings.min_frames, pt)
    if min(h, w) <= min_side:
        notes.append(f"frame is only {w}x{h}: no spatial downscaling")
    if 1 < t <= min(min_frames, Settings().min_frames):  # (not a task's own raised minimum)
        notes.append(f"clip has only {t} frames: no temporal downscaling")

    s_scales = _scales(min(h, w), settings.spatial_factor, min_side)
    t_scales = _scales(t, settings.temporal_factor, min_frames)
    count = max(len(s_scales), len(t_scales))
    s_scales += [s_scales[-1]] * (count - len(s_scales))
    t_scales += [t_scales[-1]] * (count - len(t_scales))

    levels: list[Level] = []
    for n, (ss, ts) in enumerate(zip(reversed(s_scales), reversed(t_scales), strict=True)):
        src = (_dim(t, ts, pt), _dim(h, ss, ph), _dim(w, ss, pw))
        out = (_dim(ot, ts, pt), _dim(oh, ss, ph), _dim(ow, ss, pw))
        patch = (pt, ph, pw)
        iters = settings.em_iters
        if n == 0 and settings.coarsest_em_iters is not None:
            iters = settings.coarsest_em_iters
        large = max(math.prod(src), math.prod(out)) > settings.large_voxels
        fine = not large and math.prod(out) > settings.fine_voxels
        if fine and settings.fine_em_iters is not None:
            iters = min(iters, settings.fine_em_iters)
        if large:
            lt, lh, lw = settings.large_patch_size
            patch = (min(pt, lt), min(ph, lh), min(pw, lw))
            iters = min(iters, settings.large_em_iters)
        if levels and (levels[-1].source, levels[-1].output) == (src, out):
            # Rounding and the minimum sizes can give a level the coarser one's shape: running
            # it again adds nothing but EM iterations that pull the noisy start back to a
            # copy of the input (small clips then gave the same video for every seed).
            continue
        levels.append(Level(src, out, patch, iters, large, fine))
    return Plan(levels, notes)


def _dim(size: int, scale: float, minimum: int) -> int:
    return max(minimum, round(size * scale)) if size >= minimum else size


def _cubic(x: torch.Tensor, a: float = -0.5) -> torch.Tensor:
    """Keys' cubic convolution kernel (a = -0.5, as PIL and the antialiased PyTorch kernel)."""
    x = x.abs()
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return torch.where(x <= 1, near, torch.where(x < 2, far, torch.zeros_like(x)))


def resize_taps(n_in: int, n_out: int, device: torch.device,
                dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Source indices (n_out, taps) and weights of a 1D bicubic resize from n_in to n_out.

    Shrinking stretches the kernel by 1/scale (antialiasing), so a factor of any size keeps
    every source sample in some output; taps that fall outside the axis are dropped and the
    rest renormalised (no edge ringing)."""
    scale = n_out / n_in
    stretch = max(1.0, 1.0 / scale)
    support = 2.0 * stretch
    centre = (torch.arange(n_out, device=device, dtype=torch.float64) + 0.5) / scale - 0.5
    first = torch.floor(centre - support).long() + 1
    taps = int(math.ceil(2 * support)) + 1
    idx = first[:, None] + torch.arange(taps, device=device)[None, :]
    w = _cubic((idx.double() - centre[:, None]) / stretch)
    w = torch.where((idx >= 0) & (idx < n_in), w, torch.zeros_like(w))
    w = w / w.sum(1, keepdim=True)
    return idx.clamp(0, n_in - 1), w.to(dtype)


def _resize_axis(video: torch.Tensor, axis: int, n_out: int, budgets: Budgets,
                 cancel: Callable[[], bool] | None) -> torch.Tensor:
    """Resize one axis of a contiguous tensor by gathering each output's taps (any device,
    any factor: CUDA's own antialiased kernel refuses large factors), in slabs."""
    n_in = video.shape[axis]
    if n_in == n_out:
        return video
    idx, w = resize_taps(n_in, n_out, video.device, video.dtype)
    taps = idx.shape[1]
    before = math.prod(video.shape[:axis])
    after = math.prod(video.shape[axis + 1 :])
    x = video.reshape(before, n_in, after)
    out = torch.empty((before, n_out, after), device=video.device, dtype=video.dtype)
    flat = idx.reshape(-1)
    per_row = n_out * taps
    # Slabs over the leading rows, or over the trailing columns when there are few rows.
    if before >= after or after == 1:
        step = max(1, budgets.resize_elements // max(1, per_row * after))
        for a0 in range(0, before, step):
            if cancel is not None and cancel():
                raise Cancelled()
            part = x[a0 : a0 + step].index_select(1, flat).view(-1, n_out, taps, after)
            out[a0 : a0 + step] = _weighted_taps(part, w)
    else:
        step = max(1, budgets.resize_elements // max(1, per_row * before))
        for b0 in range(0, after, step):
            if cancel is not None and cancel():
                raise Cancelled()
            part = x[:, :, b0 : b0 + step].index_select(1, flat).view(before, n_out, taps, -1)
            out[:, :, b0 : b0 + step] = _weighted_taps(part, w)
    shape = list(video.shape)
    shape[axis] = n_out
    return out.view(shape)


def _weighted_taps(part: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The sum over the taps (dim 2) of `part` (rows, n_out, taps, cols) weighted by `w`
    (n_out, taps), tap by tap in one order: a reduction's order, which CUDA's kernel sets
    from the tensor's shape, changed with the slab, so a seed's frames could change with
    the work budgets (an out-of-memory retry's smaller ones). No (rows, n_out, taps, cols)
    product is made either."""
    acc = part[:, :, 0] * w[None, :, 0, None]
    for k in range(1, part.shape[2]):
        acc.addcmul_(part[:, :, k], w[None, :, k, None])
    return acc


def _interpolate(video: torch.Tensor, shape: Shape3, budgets: Budgets,
                 cancel: Callable[[], bool] | None) -> torch.Tensor:
    """PyTorch's antialiased bicubic kernel (fast on the CPU): the same kernel as the taps,
    H and W in one pass over frames, T as a 2D resize of (T, W) planes whose W keeps its
    size (a cubic kernel at integer offsets is the identity). In slabs, with cancel checks,
    each slab written into the pass's (C, T, H, W) result: a Full-HD video is a 398 MB
    block, and joining slabs, then copying the result into place, made three of them for
    the kernel to zero where one does. Every plane is resized on its own, so the slabs
    give the values of one whole call."""
    def spatial(v: torch.Tensor) -> torch.Tensor:
        c, t, h, w = v.shape
        if (h, w) == shape[1:]:
            return v
        out = torch.empty((c, t, *shape[1:]), device=v.device, dtype=v.dtype)
        per = max(1, budgets.resize_elements // max(1, c * h * w * 4))
        for t0 in range(0, t, per):
            if cancel is not None and cancel():
                raise Cancelled()
            frames = v[:, t0 : t0 + per].permute(1, 0, 2, 3)
            out[:, t0 : t0 + per] = F.interpolate(frames, size=shape[1:], mode="bicubic",
                                                  align_corners=False, antialias=True).permute(1, 0, 2, 3)
        return out

    def temporal(v: torch.Tensor) -> torch.Tensor:
        c, t, h, w = v.shape
        if t == shape[0]:
            return v
        out = torch.empty((c, shape[0], h, w), device=v.device, dtype=v.dtype)
        rows = max(1, budgets.resize_elements // max(1, (t + shape[0]) * w * 4))
        for ci in range(c):
            for y0 in range(0, h, rows):
                if cancel is not None and cancel():
                    raise Cancelled()
                planes = v[ci, :, y0 : y0 + rows].permute(1, 0, 2).unsqueeze(0)  # (1, rows, T, W)
                part = F.interpolate(planes, size=(shape[0], w), mode="bicubic", align_corners=False,
                                     antialias=True)
                out[ci, :, y0 : y0 + rows] = part[0].permute(1, 0, 2)
        return out

    c, t, h, w = video.shape
    if shape[0] / t < shape[1] * shape[2] / (h * w):
        return spatial(temporal(video))
    return temporal(spatial(video))


def resize(video: torch.Tensor, shape: Shape3, *, budgets: Budgets = DEFAULT,
           cancel: Callable[[], bool] | None = None, method: str = "auto") -> torch.Tensor:
    """Bicubic resize of a (C, T, H, W) video to (T, H, W); antialiased when shrinking.

    method "auto" uses PyTorch's kernel on the CPU and gathered taps elsewhere (CUDA's
    antialiased kernel refuses large factors: "Too much shared memory required"); "taps"
    forces the gathered taps. The two agree to float rounding (about 1e-5)."""
    video = video.contiguous()
    if tuple(video.shape[1:]) == tuple(shape):
        return video
    if not (method == "taps" or (method == "auto" and video.device.type != "cpu")):
        return _interpolate(video, shape, budgets, cancel)
    sizes = dict(zip((1, 2, 3), shape, strict=True))
    # One axis at a time, the axes that shrink most first: later passes work on less data.
    for axis in sorted(sizes, key=lambda ax: sizes[ax] / video.shape[ax]):
        video = _resize_axis(video, axis, sizes[axis], budgets, cancel)
    return video


class LazyPyramid:
    """The source at every level's size, each resized from the full source when first used:
    the coarsest level is ready at once (a quick first preview) and a run that is
    cancelled early never pays for the fine levels."""

    def __init__(self, video: torch.Tensor, levels: list[Level], *, budgets: Budgets = DEFAULT,
                 cancel: Callable[[], bool] | None = None) -> None:
        self.video, self.shapes = video, [lv.source for lv in levels]
        self.budgets, self.cancel = budgets, cancel
        self._cache: dict[int, torch.Tensor] = {}

    def __len__(self) -> int:
        return len(self.shapes)

    def __getitem__(self, n: int) -> torch.Tensor:
        n = n + len(self) if n < 0 else n
        if n not in self._cache:
            self._cache[n] = resize(self.video, self.shapes[n], budgets=self.budgets, cancel=self.cancel)
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
        out.budgets, out.cancel = self.budgets, self.cancel
        out._cache = {k - first: v for k, v in self._cache.items() if k >= first}
        return out


def wrapped(video: torch.Tensor, frames: int) -> torch.Tensor:
    """(C, T, H, W) followed by its own first `frames` frames: the patches of a clip looped
    in time, those across its loop point included (what a longer output is drawn from)."""
    return torch.cat([video, video[:, :frames]], 1) if frames else video

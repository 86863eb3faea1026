"""Conditional inpainting: fill a painted hole from the rest of the video.

At every level the hole is the mask scaled to that level (any coverage counts); keys whose
patch overlaps the hole are excluded and keys far from it cost more (_locality_cost), voxels
outside it are pinned to the source, and only a box around the hole is searched. The
coarsest guess is the hint colour where painted, else a smooth fill from the hole's
surroundings plus seeded noise (so seeds differ). A hint blob stays pinned to its colour on
every level where it fits inside a patch (_pinned_hints), so the search must find an object
of its size and colour there: seeded at the coarsest level only, it was matched away with
its surroundings (a red hint in a sky came out as sky on every real clip tried).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from engine.config import Settings, Shape3
from engine.errors import Cancelled, InputError
from engine.noise import add_noise
from engine.pyramid import resize
from engine.request import Request
from engine.tasks.base import LevelSetup, Task, TaskContext

MIN_FREE_KEYS = 0.15  # coarse levels with fewer usable keys than this are skipped
# Keys far from the hole cost more: a key patch at distance d from the hole (its union over
# time) pays LOCAL_STRENGTH * (d / R)^2 per patch value, R the hole's equivalent radius, at
# most LOCAL_CAP per value (in squared [-1, 1] units; 0.25 is an RMS difference of half the
# range). Without it the nearest patch of a hole's coarse guess (a smooth fill plus noise)
# is as often another salient object of the clip whose surroundings match (the sheep clip's
# walkers in a car's hole) as the background around the hole. Not for a hole with a hint
# colour painted in it: a hint asks for something from anywhere in the clip.
LOCAL_STRENGTH = 0.005
LOCAL_CAP = 0.25


class Inpaint(Task):
    name = "inpaint"
    default_noise = 1.0
    warm_start = False  # the searched box changes between levels

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self._hint_levels: dict[tuple[str, Shape3], tuple[torch.Tensor, torch.Tensor]] = {}

    def validate(self, source: np.ndarray) -> None:
        r = self.request
        mask = r.mask
        if mask is None or mask.shape != source.shape[:3]:
            got = None if mask is None else mask.shape
            raise InputError(f"inpaint needs a (T, H, W) mask the size of the clip {source.shape[:3]}, got {got}")
        if not mask.any():
            raise InputError("the mask is empty: paint the region to fill")
        if r.hints is not None and r.hints.shape != (*source.shape[:3], 4):
            raise InputError(f"hints must be (T, H, W, 4) RGBA the size of the clip, got {r.hints.shape}")
        if any(v is not None for v in (r.frames, r.height, r.width)):
            raise InputError("inpaint keeps the clip's size: leave width, height and frames unset")

    def adjust(self, settings: Settings) -> Settings:
        # Completeness spreads the use of all source patches over the output; for a hole in
        # an otherwise fixed video it means nothing, and its reverse search would cost as
        # much as the whole video.
        return settings.with_(completeness_alpha=None)

    def setups(self, ctx: TaskContext) -> list[LevelSetup | None]:
        """Per-level constraints; None for the coarsest levels where the hole (a moving one
        sweeps every coarse patch) leaves too few keys to fill from: the run starts below."""
        mask = torch.from_numpy(np.ascontiguousarray(self.request.mask)).to(ctx.device).float()[None]
        levels = ctx.levels
        hints = self.request.hints
        hinted = hints is not None and bool(((hints[..., 3] > 63) & self.request.mask).any())
        out: list[LevelSetup | None] = []
        pinning = hinted  # until a level's hint blobs are all wider than a patch
        for n, level in enumerate(levels):
            finest = n == len(levels) - 1
            if finest and tuple(mask.shape[1:]) == level.source:
                hole = mask > 0.5
            else:
                hole = _level_hole(mask, level.source)
            # A key patch is usable when no hole voxel lies inside it.
            touched = F.max_pool3d(hole.float()[None], kernel_size=level.patch, stride=1)[0, 0] > 0
            allowed = ~touched
            if float(allowed.float().mean()) < MIN_FREE_KEYS and not finest:
                out.append(None)
                continue
            if not bool(allowed.any()):
                raise InputError(_no_keys_message(hole, level.patch))
            # A hole with a hint colour fetches it from anywhere (a white hint in a pale sky
            # is a far cloud, which the cost would lose to the sky beside the hole).
            cost = None if hinted else _locality_cost(hole[0], level.patch,
                                                      int(ctx.pyramid[n].shape[0]))
            keep, known = ~hole, ctx.pyramid[n]
            if pinning:
                alpha, colour = self._hint_at(ctx, level.source)
                pins = _pinned_hints(alpha, colour, hole, level.patch)
                if pins is not None:
                    keep, known = keep | pins[0], torch.where(pins[0], pins[1], known)
                elif bool(((alpha > 0.5) & hole).any()):
                    pinning = False  # every blob is wider than a patch: wider still below
            out.append(LevelSetup(keep=keep, known=known, key_mask=allowed, key_cost=cost,
                                  region=_region(hole[0], level.patch)))
        skipped = sum(1 for i in out if i is None)
        if skipped:
            ctx.notes.append(f"inpainting starts at pyramid level {skipped + 1} of {len(levels)}: "
                             "coarser levels are mostly hole")
        return out

    def coarsest_query(self, ctx: TaskContext, setup: LevelSetup, generator: torch.Generator) -> torch.Tensor:
        """The hint colour where painted, else a smooth fill, plus seeded noise in the rest."""
        assert setup.keep is not None
        coarsest = ctx.pyramid[0]
        shape = ctx.levels[0].source
        hole = ~setup.keep
        guess = _smooth_fill(coarsest, hole, cancel=ctx.cancel)
        hinted = torch.zeros_like(hole)
        if self.request.hints is not None:
            alpha, colour = self._hint_at(ctx, shape)
            hinted = (alpha > 0.25) & hole
            guess = torch.where(hinted, colour, guess)
            if not bool(hinted.any()):  # said, not dropped in silence
                if bool((alpha > 0.25).any()):
                    ctx.notes.append("the hint colours lie outside the hole: only colours "
                                     "painted inside it steer the fill")
                else:
                    across = math.ceil(2 * self.request.hints.shape[2] / shape[2])
                    ctx.notes.append(f"the hint colours are too small to steer the fill: at "
                                     f"this size they must be about {across} pixels across or "
                                     f"more (the fill is laid out at {shape[2]}x{shape[1]})")
        # White noise replicated along time, as measured for inpainting: the smooth mixed
        # noise of the settings was measured for whole layouts, not for a hole's fill.
        return add_noise(guess, self.noise(ctx), generator, "replicated", where=hole & ~hinted)


    def _hint_at(self, ctx: TaskContext, shape: Shape3) -> tuple[torch.Tensor, torch.Tensor]:
        """The hints at a level of `shape`: (alpha (1, T, H, W) in 0..1, colour (3, T, H, W)
        in [-1, 1]). The colour is weighed by its opacity before the resize and divided by
        the resized opacity after: a half-transparent hint keeps its colour (it was divided
        by its alpha, twice as bright). The editor's and the CLI's hints are opaque or
        absent."""
        key = (ctx.device.type, shape)  # (a run that falls back from CUDA to the CPU)
        if key not in self._hint_levels:  # the first level run asks twice (pins, guess)
            hints = torch.from_numpy(np.ascontiguousarray(self.request.hints)).to(ctx.device)
            opacity = hints[..., 3].float() / 255.0
            # One channel at a time: the whole clip's RGBA in float took 530 MB on 16
            # Full-HD frames, at every level a hint is pinned on.
            colour = torch.cat([resize((hints[..., c].float() * opacity)[None], shape,
                                       budgets=ctx.budgets) for c in range(3)])
            alpha = resize(opacity[None], shape, budgets=ctx.budgets).clamp(0, 1)
            self._hint_levels[key] = (
                alpha, (colour / alpha.clamp_min(1e-3) / 127.5 - 1.0).clamp(-1, 1))
        return self._hint_levels[key]


def _pinned_hints(alpha: torch.Tensor, colour: torch.Tensor, hole: torch.Tensor,
                  patch: Shape3) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(where (1, T, H, W) bool, colour) of the hint blobs to pin at a level: those (opaque
    over a half, in the hole) whose equivalent diameter is at most a patch's width, so every
    patch over one holds it whole with some of its surroundings, and the search can only
    match it with an object of its size and colour. None when there is none. A wider blob is
    left to the clip's own detail: pinned while a patch fits inside it, a flat red disc was
    matched with flat pieces of the scene (a tent of the ground band in the sky)."""
    found = ((alpha > 0.5) & hole)[0]
    if not bool(found.any()):
        return None
    import cv2  # here: every command loads this module, and OpenCV took 0.13 s to import

    width = max(patch[1], patch[2])
    where = np.zeros(tuple(found.shape), bool)
    for t, frame in enumerate(found.cpu().numpy().astype(np.uint8)):
        count, labels, stats, _ = cv2.connectedComponentsWithStats(frame, connectivity=8)
        areas = stats[1:, cv2.CC_STAT_AREA]
        small = 1 + np.flatnonzero(2 * np.sqrt(areas / math.pi) <= width)
        if len(small):
            where[t] = np.isin(labels, small)
    if not where.any():
        return None
    return torch.from_numpy(where).to(alpha.device)[None], colour


def _no_keys_message(hole: torch.Tensor, patch: Shape3) -> str:
    """Why no key is left: a hole over most of the video, or parts spread so that every
    patch touches one (dust specks, a sparse grid), which wants gaps rather than less paint."""
    pt, ph, pw = patch
    size = f"{pw}x{ph} pixels over {pt} frame{'s' if pt != 1 else ''}"
    h, w = hole.shape[-2:]
    if h < 2 * ph and w < 2 * pw:  # no room for gaps: a patch fits beside no hole at all
        return (f"the frames are {w}x{h} pixels, too small to fill a hole from: every patch of "
                f"the video ({size}) touches it. Leave a {pw}x{ph}-pixel area free of paint on every "
                "frame, or inpaint a larger clip")
    if float(hole.float().mean()) < 0.5:
        return (f"every patch of the video ({size}) touches the hole: nothing is left to fill it "
                f"from. Leave gaps of at least {max(ph, pw)} pixels between the hole's parts, or "
                "paint them on fewer frames")
    return (f"the hole covers every patch of the video ({size}): nothing is left to fill it from "
            "(paint a smaller mask)")


def _level_hole(mask: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
    """(1, T, H, W) bool hole at a level: the mask resized, any coverage counts."""
    m = resize(mask, shape) if tuple(mask.shape[1:]) != shape else mask
    return m > 0.02


def _region(hole: torch.Tensor, patch: tuple[int, int, int]) -> tuple[slice, slice, slice] | None:
    """A box around the hole, grown by a patch on every side (clipped to the video)."""
    if not bool(hole.any()):
        return None
    box = []
    for axis, p in enumerate(patch):
        other = tuple(a for a in range(3) if a != axis)
        idx = torch.nonzero(hole.any(dim=other[1]).any(dim=other[0])).flatten()
        n = hole.shape[axis]
        lo, hi = int(idx.min()) - p, int(idx.max()) + p + 1
        box.append(slice(max(0, lo), min(n, hi)))
    return tuple(box)  # type: ignore[return-value]


def _smooth_fill(video: torch.Tensor, hole: torch.Tensor, steps: int = 200,
                 cancel: Callable[[], bool] | None = None) -> torch.Tensor:
    """Fill hole voxels by repeated neighbour averaging from the known ones (a diffusion),
    within the hole's bounding box and a voxel around it: known voxels never change, so
    that is all a hole voxel's value depends on. `cancel()` is polled every few steps (thin
    wires across a large first level take seconds)."""
    known = (~hole).float()
    mean = (video * known).sum((1, 2, 3), keepdim=True) / known.sum().clamp_min(1)
    out = torch.where(hole, mean, video)
    where = hole[0].nonzero()
    if where.numel() == 0:
        return out
    lo = (where.min(0).values - 1).clamp_min(0).tolist()
    hi = (where.max(0).values + 2).tolist()
    box = (slice(None), *(slice(a, b) for a, b in zip(lo, hi, strict=True)))
    part, part_hole, part_video = out[box], hole[box], video[box]
    # The 3x3x3 mean of the neighbours inside the video. Padded by hand: avg_pool3d's own
    # padding still refuses an axis shorter than the kernel (a still image, two frames).
    pad = (1, 1, 1, 1, 1, 1)
    count = F.avg_pool3d(F.pad(torch.ones_like(part_video[:1])[None], pad), 3, stride=1)[0]
    for step in range(steps):
        if cancel is not None and step % 10 == 0 and cancel():
            raise Cancelled()
        avg = F.avg_pool3d(F.pad(part[None], pad), 3, stride=1)[0] / count
        part = torch.where(part_hole, avg, part_video)
    out = out.clone()
    out[box] = part
    return out


def _locality_cost(hole: torch.Tensor, patch: Shape3, channels: int) -> torch.Tensor | None:
    """Per-key cost on the key grid (added to the squared distance of the descriptors, which
    approximate squared differences of the patch values in [-1, 1]): LOCAL_STRENGTH *
    values per patch * (d / R)^2, at most LOCAL_CAP per value; d is the distance of the key
    patch's centre from the hole's union over time (background that a moving hole reveals
    elsewhere in time costs nothing), R the union's equivalent radius (at least a patch)."""
    pt, ph, pw = patch
    t, h, w = hole.shape
    union = hole.any(0)
    if not bool(union.any()):  # nothing to fill at this level
        return None
    radius = max(math.sqrt(float(union.sum()) / math.pi), float(max(ph, pw)))
    # Measured on a grid of at most about 2^16 cells (a prior, not a measurement: on a
    # Full-HD level the exact distances would take minutes), then spread back bilinearly.
    f = max(1, math.ceil(math.sqrt(h * w / 65536)))
    small = F.max_pool2d(union[None, None].float(), f, ceil_mode=True)[0, 0] > 0
    sh, sw = small.shape
    # The hole's edge: its cells beside a cell outside it. Beyond the frame counts as inside,
    # so the frame's border is no edge, and a hole on the outer ring alone still has one
    # (its border cells were once never eroded: no edge at all, and the search crashed).
    out = F.pad(small[None, None].float(), (1, 1, 1, 1), value=1.0)[0, 0] > 0
    inner = small & out[:-2, 1:-1] & out[2:, 1:-1] & out[1:-1, :-2] & out[1:-1, 2:]
    edge = (small & ~inner).nonzero().float()
    if edge.shape[0] == 0:  # the union is the whole frame: no place near it to prefer
        return None
    if edge.shape[0] > 1024:
        edge = edge[torch.linspace(0, edge.shape[0] - 1, 1024, device=edge.device).long()]
    yy, xx = torch.meshgrid(torch.arange(sh, device=hole.device, dtype=torch.float32),
                            torch.arange(sw, device=hole.device, dtype=torch.float32), indexing="ij")
    dist = torch.cdist(torch.stack([yy.reshape(-1), xx.reshape(-1)], 1), edge).min(1).values
    dist = dist.reshape(sh, sw).masked_fill_(small, 0) * f
    if f > 1:
        dist = F.interpolate(dist[None, None], scale_factor=f, mode="bilinear", align_corners=False)[0, 0, :h, :w]
    dist = dist.masked_fill(union, 0)
    gt, gh, gw = t - pt + 1, h - ph + 1, w - pw + 1
    centre = dist[ph // 2: ph // 2 + gh, pw // 2: pw // 2 + gw]
    rel = (centre / radius).square().clamp(max=LOCAL_CAP / LOCAL_STRENGTH)
    return (LOCAL_STRENGTH * channels * pt * ph * pw * rel)[None].expand(gt, gh, gw)

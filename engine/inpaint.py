"""Conditional inpainting: fill a painted hole from the rest of the video.

At every level the hole is the mask scaled to that level (any coverage counts); keys whose
patch overlaps the hole are excluded, voxels outside it are pinned to the source, and only
a box around the hole is searched. The coarsest guess is the hint colour where painted,
else a smooth fill from the hole's surroundings plus seeded noise (so seeds differ).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from engine.errors import InputError
from engine.pyramid import Level, resize
from engine.request import Request
from engine.tasks import LevelInput, noise_sigma


def _level_hole(mask: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
    """(1, T, H, W) bool hole at a level: the mask resized, any coverage counts."""
    m = resize(mask, shape) if tuple(mask.shape[1:]) != shape else mask
    return m > 0.02


MIN_FREE_KEYS = 0.15  # coarse levels with fewer usable keys than this are skipped


def inpaint_inputs(request: Request, levels: list[Level], pyramid: Sequence[torch.Tensor],
                   device: torch.device, notes: list[str]) -> list[LevelInput | None]:
    """Per level constraints; None for the coarsest levels where the hole (a moving one
    sweeps every coarse patch) leaves too few keys to fill from: the run starts below them."""
    mask = torch.from_numpy(np.ascontiguousarray(request.mask)).to(device).float()[None]
    out: list[LevelInput | None] = []
    for level, x in zip(levels, pyramid, strict=True):
        hole = _level_hole(mask, level.source) if level is not levels[-1] else mask > 0.5
        # A key patch is usable when no hole voxel lies inside it.
        touched = F.max_pool3d(hole.float()[None], kernel_size=level.patch, stride=1)[0, 0] > 0
        allowed = ~touched
        free = float(allowed.float().mean())
        if free < MIN_FREE_KEYS and level is not levels[-1]:
            out.append(None)
            continue
        if not bool(allowed.any()):
            raise InputError("the hole covers every patch of the video: nothing is left to fill "
                             "it from (paint a smaller mask)")
        out.append(LevelInput(keep=~hole, known=x, key_mask=allowed, region=_region(hole[0], level.patch)))
    skipped = sum(1 for i in out if i is None)
    if skipped:
        notes.append(f"inpainting starts at pyramid level {skipped + 1} of {len(levels)}: "
                     "coarser levels are mostly hole")
    return out


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


def _smooth_fill(video: torch.Tensor, hole: torch.Tensor, steps: int = 200) -> torch.Tensor:
    """Fill hole voxels by repeated neighbour averaging from the known ones (a diffusion)."""
    known = (~hole).float()
    mean = (video * known).sum((1, 2, 3), keepdim=True) / known.sum().clamp_min(1)
    out = torch.where(hole, mean, video)
    for _ in range(steps):
        avg = F.avg_pool3d(out[None], 3, stride=1, padding=1, count_include_pad=False)[0]
        out = torch.where(hole, avg, video)
    return out


def initial_guess(request: Request, level: Level, coarsest: torch.Tensor, first: LevelInput,
                  generator: torch.Generator) -> torch.Tensor:
    hole = ~first.keep
    guess = _smooth_fill(coarsest, hole)
    hinted = torch.zeros_like(hole)
    if request.hints is not None:
        rgba = torch.from_numpy(np.ascontiguousarray(request.hints)).to(coarsest.device).float()
        rgba = rgba.permute(3, 0, 1, 2)  # (4, T, H, W)
        small = resize(rgba, level.source)
        alpha = (small[3:4] / 255.0).clamp(0, 1)
        colour = small[:3] / alpha.clamp_min(1e-3) / 127.5 - 1.0
        hinted = (alpha > 0.25) & hole
        guess = torch.where(hinted, colour.clamp(-1, 1), guess)
    sigma = noise_sigma(request)
    if sigma > 0:
        c, _, h, w = guess.shape
        z = torch.randn((c, 1, h, w), generator=generator, device=generator.device).to(guess.device)
        free = hole & ~hinted
        guess = torch.where(free, guess + sigma * z, guess)
    return guess

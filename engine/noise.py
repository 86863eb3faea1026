"""The coarsest level's noise: how strong by default, and how it is drawn.

A patch of Q = x + sigma * z finds a key k by |x - k|^2 - 2 sigma z.(k - x): the noise
shuffles the choice among keys within about 2 sigma of each other and leaves far ones
(sky against ground) apart. So the right sigma depends on how far apart a clip's own
patches are; the supplementary's rule of thumb is the mean distance between each patch and
its nearest other patch. `auto_sigma` applies it: sigma = scale * that distance, the same
variation for a low-contrast clip as for a vivid one.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from engine.config import Shape3
from engine.descriptors import sample_patches

MODES = ("replicated", "voxel", "mixed")


def patch_spacing(video: torch.Tensor, patch: Shape3, generator: torch.Generator,
                  samples: int = 2048) -> float:
    """Mean L2 distance (over all C*pt*ph*pw values) between a patch of a (C, T, H, W) video
    and its nearest other patch; exact over up to 4x`samples` keys. On the CPU on every
    device: a coarsest level is small, and CUDA's first cdist costs 0.2 s to load."""
    keys = sample_patches(video, patch, 4 * samples, generator).cpu()
    n = min(samples, keys.shape[0])
    if keys.shape[0] < 2:
        return 0.0
    queries = keys[:n]
    d = torch.cdist(queries.double(), keys.double())
    d[torch.arange(n), torch.arange(n)] = float("inf")  # not itself
    return float(d.min(1).values.mean())


def auto_sigma(video: torch.Tensor, patch: Shape3, scale: float, mode: str,
               generator: torch.Generator) -> float:
    """The default sigma for a (C, T, H, W) coarsest level: `scale` times the patch spacing,
    divided by sqrt(pt) when the noise is replicated along time (the same z then adds up
    over the patch's pt frames, so it shuffles as much as sqrt(pt) times more per voxel),
    by pt ** 0.25 for the mixed noise (half of each)."""
    spacing = patch_spacing(video, patch, generator)
    return scale * spacing / {"replicated": math.sqrt(patch[0]), "mixed": patch[0] ** 0.25}.get(mode, 1.0)


def smoothed(z: torch.Tensor, radius: float) -> torch.Tensor:
    """White noise (C, T, H, W) blurred in space by a Gaussian of `radius` pixels, each frame
    on its own, and scaled back to unit standard deviation."""
    if radius <= 0:
        return z
    c, t, h, w = z.shape
    r = max(1, math.ceil(2 * radius))
    x = torch.arange(-r, r + 1, dtype=z.dtype, device=z.device)
    k = torch.exp(-x * x / (2 * radius * radius))
    k = k / k.sum()
    planes = z.reshape(c * t, 1, h, w)
    planes = F.conv2d(F.pad(planes, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    planes = F.conv2d(F.pad(planes, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))
    return (planes / planes.std().clamp_min(1e-12)).reshape(c, t, h, w)


def add_noise(query: torch.Tensor, sigma: float, generator: torch.Generator, mode: str = "replicated",
              where: torch.Tensor | None = None, smooth: float = 0.0) -> torch.Tensor:
    """Q + sigma * z; z drawn per voxel ("voxel"), per spatial position and replicated along
    time ("replicated": the coarsest motion stays coherent), or half of each ("mixed": a
    layout that holds over time, varied by voxel noise); blurred in space by `smooth` pixels
    (then scaled back to unit deviation); only where `where` (1, T, H, W) is True, if given."""
    if sigma <= 0:
        return query
    c, t, h, w = query.shape
    shape = (c, 1, h, w) if mode == "replicated" else (c, t, h, w)
    z = torch.randn(shape, generator=generator, device=generator.device)
    if mode == "mixed":
        z = (z + torch.randn((c, 1, h, w), generator=generator, device=generator.device)) / math.sqrt(2)
    z = smoothed(z.to(query.device), smooth)
    noisy = query + sigma * z
    return noisy if where is None else torch.where(where, noisy, query)

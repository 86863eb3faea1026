"""Reduced-dimension patch descriptors: PCA of the key patches, applied as a 3D convolution.

The axes are those of whole space-time patches: descriptors built from spatial axes times a
fixed temporal basis (cheaper to compute) matched about as often in isolation but made
clearly less coherent videos, because moving structure is not separable in time.

Distances between descriptors approximate the sum of squared differences of the raw
(C x pt x ph x pw) patches; with as many dimensions as the patch has it is exact.
Computing them as a convolution never materialises all patches of a level at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from engine.chunks import DEFAULT, Budgets, slabs
from engine.config import Shape3
from engine.errors import Cancelled


def sample_patches(video: torch.Tensor, patch: Shape3, count: int, generator: torch.Generator) -> torch.Tensor:
    """`count` random patches of a (C, T, H, W) video, flattened to (count, C*pt*ph*pw)."""
    c, t, h, w = video.shape
    pt, ph, pw = patch
    gt, gh, gw = t - pt + 1, h - ph + 1, w - pw + 1
    n = gt * gh * gw
    if n <= count:
        idx = torch.arange(n, device=video.device)
    else:
        idx = torch.randint(0, n, (count,), generator=generator, device=generator.device).to(video.device)
    it, rest = idx // (gh * gw), idx % (gh * gw)
    iy, ix = rest // gw, rest % gw
    dt = torch.arange(pt, device=video.device)
    dy = torch.arange(ph, device=video.device)
    dx = torch.arange(pw, device=video.device)
    tt = (it[:, None, None, None] + dt[None, :, None, None]).expand(-1, pt, ph, pw)
    yy = (iy[:, None, None, None] + dy[None, None, :, None]).expand(-1, pt, ph, pw)
    xx = (ix[:, None, None, None] + dx[None, None, None, :]).expand(-1, pt, ph, pw)
    vals = video[:, tt, yy, xx]  # (C, count, pt, ph, pw)
    return vals.permute(1, 0, 2, 3, 4).reshape(idx.numel(), -1)


def pca_basis(video: torch.Tensor, patch: Shape3, dims: int, generator: torch.Generator, samples: int = 4096) -> torch.Tensor:
    """Conv weights (dims, C, pt, ph, pw) projecting patches on their top principal axes,
    strongest first. With dims >= the patch dimension the basis is the identity (exact).

    A few dozen of several hundred axes: a randomized subspace iteration on the sample
    covariance finds them in a few milliseconds (a full eigensolver takes ten times as
    long per level); seeded by `generator`, so runs repeat exactly."""
    c = video.shape[0]
    d = c * math.prod(patch)
    if dims >= d:
        return torch.eye(d, device=video.device, dtype=video.dtype).reshape(d, c, *patch)
    x = sample_patches(video, patch, samples, generator)
    x = x - x.mean(0, keepdim=True)
    # The eigensolver runs on the CPU whatever the device: the matrix is a few hundred
    # wide (milliseconds), and CUDA's solver library costs 0.25 s to load on a run's first
    # call, a fifth of a whole 144p run on a GPU.
    cov = ((x.T @ x).double() / max(1, x.shape[0] - 1)).cpu()
    width = min(d, dims + max(16, dims // 2))
    if 3 * width < d:
        probe = torch.randn((d, width), generator=generator, device=generator.device,
                            dtype=torch.float64).cpu()
        for _ in range(4):
            probe, _ = torch.linalg.qr(cov @ probe)
        vals, small = torch.linalg.eigh(probe.T @ cov @ probe)
        vecs = probe @ small  # ascending eigenvalues, as eigh's
    else:
        _, vecs = torch.linalg.eigh(cov)
    basis = vecs[:, -dims:].flip(1).T.contiguous()  # (dims, d), strongest first
    return basis.to(device=video.device, dtype=video.dtype).reshape(dims, c, *patch)


def describe(video: torch.Tensor, basis: torch.Tensor, *, budgets: Budgets = DEFAULT,
             cancel: Callable[[], bool] | None = None) -> torch.Tensor:
    """Descriptors of every patch of a (C, T, H, W) video: (N, dims), N over the valid grid
    (t, y, x) in row-major order. The convolution runs channels-last, so its output already
    is (t, y, x, dims): no transposing copy. A few frames at a time, so that the output of
    one slab never doubles the memory of the result."""
    dims, _, pt, ph, pw = basis.shape
    gt, gh, gw = video.shape[1] - pt + 1, video.shape[2] - ph + 1, video.shape[3] - pw + 1
    weight = basis.contiguous(memory_format=torch.channels_last_3d)
    blocks = slabs(gt, gh, dims * gw, budgets.describe_elements)
    if len(blocks) == 1:
        if cancel is not None and cancel():
            raise Cancelled()
        x = video.unsqueeze(0).contiguous(memory_format=torch.channels_last_3d)
        return F.conv3d(x, weight)[0].permute(1, 2, 3, 0).reshape(-1, dims)
    out = torch.empty((gt * gh * gw, dims), device=video.device, dtype=video.dtype)
    grid = out.view(gt, gh, gw, dims)
    for t0, t1, y0, y1 in blocks:
        if cancel is not None and cancel():
            raise Cancelled()
        x = video[:, t0 : t1 + pt - 1, y0 : y1 + ph - 1].unsqueeze(0)
        x = x.contiguous(memory_format=torch.channels_last_3d)
        grid[t0:t1, y0:y1] = F.conv3d(x, weight)[0].permute(1, 2, 3, 0)
    return out


# Descriptors as the search reads them: the leading dimensions, which screen every
# candidate, and the rest (None where there are no more), each a contiguous (N, d) block.
Parts = tuple[torch.Tensor, torch.Tensor | None]


def describe_parts(video: torch.Tensor, basis: torch.Tensor, head: int, *,
                   budgets: Budgets = DEFAULT, cancel: Callable[[], bool] | None = None) -> Parts:
    """`describe`'s descriptors in two blocks, the first `head` dimensions and the rest,
    each from its own convolution: the same numbers (each output channel is its own sum
    over the patch), and the same work, where copying the columns out of one wide block
    cost a quarter again of a 64-dimensional describe on every level under Full-HD."""
    if basis.shape[0] <= head:
        return describe(video, basis, budgets=budgets, cancel=cancel), None
    return (describe(video, basis[:head], budgets=budgets, cancel=cancel),
            describe(video, basis[head:], budgets=budgets, cancel=cancel))


def prefix(parts: Parts, dims: int) -> Parts:
    """The leading `dims` dimensions of split descriptors (a shorter search on a table
    described for a longer one: its prefix, as the basis puts the strongest first)."""
    head, tail = parts
    width = head.shape[1]
    if dims <= width:
        return (head if dims == width else head[:, :dims].contiguous()), None
    if tail is None or dims - width >= tail.shape[1]:
        return head, tail
    return head, tail[:, : dims - width].contiguous()


def patch_grid(shape: Shape3, patch: Shape3) -> Shape3:
    """Shape of the grid of valid patch positions in a video of `shape`."""
    return (shape[0] - patch[0] + 1, shape[1] - patch[1] + 1, shape[2] - patch[2] + 1)

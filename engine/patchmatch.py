"""PatchMatch with jump flooding between two sets of patch descriptors.

A nearest-neighbour field holds, for every query patch position on the query grid
(t, y, x), the flat index of its match in a *padded* key table: the key grid surrounded
by rows of +inf. Propagating a neighbour's match is then a shift and a subtraction, and a
candidate that falls off the grid (or on an excluded key) simply never wins; no clamping
or bounds logic runs per candidate. Each iteration tries, for all queries at once, the
six space-time neighbours' matches at distance `step` (exact, and with a +-1 jitter) and
two random candidates (near the current match, and anywhere). Time O(N * dims) per
iteration; memory O(N) beyond the descriptors, with large grids evaluated in chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from engine.config import Shape3
from engine.errors import Cancelled

CHUNK_ELEMENTS = 1 << 24  # descriptor floats gathered at once (64 MB)
MAX_T_STEP = 4  # temporal jumps beyond this add padding for little gain on short grids


class KeyTable:
    """Key descriptors on a padded grid; padding and excluded keys hold +inf."""

    def __init__(self, kd: torch.Tensor, grid: Shape3, max_step: int, allowed: torch.Tensor | None = None) -> None:
        gt, gh, gw = grid
        self.grid = grid
        self.mt = (min(max_step, MAX_T_STEP) + 1) if gt > 1 else 0
        self.ms = max_step + 1 if max(gh, gw) > 1 else 0
        self.padded = (gt + 2 * self.mt, gh + 2 * self.ms, gw + 2 * self.ms)
        _, ph, pw = self.padded
        self.strides = (ph * pw, pw, 1)
        dims = kd.shape[1]
        # Padding and excluded keys: zero descriptors with an infinite squared norm, so
        # |q|^2 + |k|^2 - 2 q.k is +inf for them (and never NaN).
        table = torch.zeros((*self.padded, dims), device=kd.device, dtype=kd.dtype)
        norms = torch.full(self.padded, float("inf"), device=kd.device, dtype=kd.dtype)
        real = (slice(self.mt, self.mt + gt), slice(self.ms, self.ms + gh), slice(self.ms, self.ms + gw))
        table[real].copy_(kd.view(gt, gh, gw, dims))
        norms[real].copy_(kd.square().sum(1).view(gt, gh, gw))
        if allowed is not None:
            norms[real][~allowed.view(gt, gh, gw)] = float("inf")
        self.table = table.view(-1, dims)
        self.norms = norms.view(-1)
        self.device = kd.device
        index = self.from_coords(*torch.meshgrid(
            *(torch.arange(n, device=kd.device) for n in grid), indexing="ij"))
        self.real = index.reshape(-1)  # every real key, row-major over the key grid
        self.valid = self.real if allowed is None else index[allowed.view(gt, gh, gw)]
        if self.valid.numel() == 0:
            raise ValueError("no key patch is allowed")
        self.jitter = (
            torch.tensor([-1, 0, 1], device=self.device)[:, None, None] * (self.strides[0] if self.mt else 0)
            + torch.tensor([-1, 0, 1], device=self.device)[None, :, None] * self.strides[1]
            + torch.tensor([-1, 0, 1], device=self.device)[None, None, :]
        ).reshape(-1)

    def from_coords(self, t: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return ((t + self.mt) * self.padded[1] + (y + self.ms)) * self.padded[2] + (x + self.ms)

    def to_coords(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        _, ph, pw = self.padded
        t, rest = idx // (ph * pw), idx % (ph * pw)
        return t - self.mt, rest // pw - self.ms, rest % pw - self.ms

    def random(self, shape: Shape3, generator: torch.Generator) -> torch.Tensor:
        pick = torch.randint(0, self.valid.numel(), shape, generator=generator, device=generator.device)
        return self.valid[pick.to(self.device)]


@dataclass
class Field:
    """Matches (flat indices into a KeyTable's padded grid) and their (weighted) squared distances."""

    idx: torch.Tensor  # (gt, gh, gw) int64
    dist: torch.Tensor  # (gt, gh, gw) float

    def coords(self, keys: KeyTable) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return keys.to_coords(self.idx)


def identity_coords(query_grid: Shape3, key_grid: Shape3, device: torch.device) -> list[torch.Tensor]:
    """Each query at the same relative place on the key grid (a good start for retargeting)."""
    axes = []
    for q, k in zip(query_grid, key_grid, strict=True):
        pos = torch.arange(q, device=device, dtype=torch.float64)
        axes.append(((pos + 0.5) * k / q - 0.5).round().clamp(0, k - 1).long())
    return [g.contiguous() for g in torch.meshgrid(*axes, indexing="ij")]


def rescale_coords(coords: Sequence[torch.Tensor], old_key_grid: Shape3, query_grid: Shape3,
                   key_grid: Shape3) -> list[torch.Tensor]:
    """Upsample match coordinates from a coarser level: nearest query, coordinates scaled."""
    old_q = coords[0].shape
    idx = []
    for q, oq in zip(query_grid, old_q, strict=True):
        pos = torch.arange(q, device=coords[0].device, dtype=torch.float64)
        idx.append(((pos + 0.5) * oq / q - 0.5).round().clamp(0, oq - 1).long())
    out = []
    for g, ok, k in zip(coords, old_key_grid, key_grid, strict=True):
        g = g.index_select(0, idx[0]).index_select(1, idx[1]).index_select(2, idx[2])
        out.append(((g.double() + 0.5) * (k / ok) - 0.5).round().long().clamp(0, k - 1))
    return out


def _shifted(g: torch.Tensor, axis: int, step: int, sign: int) -> torch.Tensor:
    """out[p] = g[p + sign*step along axis], and g[p] where that neighbour does not exist."""
    n = g.shape[axis]
    if step >= n:
        return g
    out = g.clone()
    if sign > 0:
        out.narrow(axis, 0, n - step).copy_(g.narrow(axis, step, n - step))
    else:
        out.narrow(axis, step, n - step).copy_(g.narrow(axis, 0, n - step))
    return out


class _Search:
    def __init__(self, q: torch.Tensor, keys: KeyTable, weights: torch.Tensor | None) -> None:
        self.q, self.keys, self.weights = q.unsqueeze(2), keys, weights
        self.q2 = q.square().sum(1)
        self.chunk = max(1024, CHUNK_ELEMENTS // max(1, q.shape[1]))

    def distance(self, idx: torch.Tensor) -> torch.Tensor:
        """Squared distances |q|^2 + |k|^2 - 2 q.k; the dot products as one batched matmul
        (a single pass over the gathered keys, about twice as fast as differencing)."""
        flat = idx.reshape(-1)
        n = flat.numel()
        out = self.keys.norms.index_select(0, flat).add_(self.q2)
        for s in range(0, n, self.chunk):
            e = min(n, s + self.chunk)
            g = self.keys.table.index_select(0, flat[s:e]).unsqueeze(1)
            out[s:e].sub_(torch.bmm(g, self.q[s:e]).view(-1), alpha=2.0)
        out.clamp_(min=0.0)
        if self.weights is not None:
            out.mul_(self.weights.index_select(0, flat))
        return out.view(idx.shape)

    def offer(self, f: Field, cand: torch.Tensor) -> None:
        d = self.distance(cand)
        better = d < f.dist
        f.dist = torch.where(better, d, f.dist)
        f.idx = torch.where(better, cand, f.idx)


def patchmatch(
    q: torch.Tensor,
    query_grid: Shape3,
    keys: KeyTable,
    *,
    steps: Sequence[int] = (8, 4, 1),
    rounds: int = 5,
    init: torch.Tensor | None = None,
    weights: torch.Tensor | None = None,
    jitter: bool = True,
    generator: torch.Generator,
    cancel: Callable[[], bool] | None = None,
) -> Field:
    """Approximate nearest neighbours of the query descriptors (Nq, D) in `keys`.

    `init` is a starting field of padded flat indices (query grid shaped); `weights` (padded
    key count,) scales each key's squared distance (completeness weighting).
    """
    device = q.device
    search = _Search(q, keys, weights)
    idx = init if init is not None else keys.random(query_grid, generator)
    f = Field(idx, search.distance(idx))
    bad = ~torch.isfinite(f.dist)
    if bool(bad.any()):  # an excluded start: replace by random allowed keys
        f.idx = torch.where(bad, keys.random(query_grid, generator), f.idx)
        f.dist = search.distance(f.idx)
    strides = keys.strides
    margins = (keys.mt, keys.ms, keys.ms)
    for _ in range(rounds):
        for step in steps:
            if cancel is not None and cancel():
                raise Cancelled()
            for axis in range(3):
                s = min(step, margins[axis] - 1)
                if query_grid[axis] <= 1 or s < 1:
                    continue
                for sign in (1, -1):
                    cand = _shifted(f.idx, axis, s, sign) - sign * s * strides[axis]
                    search.offer(f, cand)
                    if jitter:
                        pick = torch.randint(0, keys.jitter.numel(), query_grid, generator=generator,
                                             device=generator.device).to(device)
                        search.offer(f, cand + keys.jitter[pick])
            # Random search near the current match (radius within the padding), then anywhere.
            near = f.idx.clone()
            for axis in range(3):
                r = min(2 * step, margins[axis] - 1)
                if r >= 1:
                    off = torch.randint(-r, r + 1, query_grid, generator=generator, device=generator.device)
                    near += off.to(device) * strides[axis]
            search.offer(f, near)
            search.offer(f, keys.random(query_grid, generator))
    return f

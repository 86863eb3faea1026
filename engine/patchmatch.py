"""PatchMatch with jump flooding between two sets of patch descriptors.

A nearest-neighbour field holds, for every query patch position on the query grid
(t, y, x), the flat (row-major) index of its match on the key grid. Propagating a
neighbour's match is a shift and a subtraction on the whole field at once; a candidate
that runs off a row simply names another real key, whose true distance is then computed,
so beyond one clamp no bounds logic runs per candidate. Excluded keys have an infinite
norm and never win. Each iteration tries, for all queries at once, the six space-time
neighbours' matches at distance `step` (exact, and optionally with a +-1 jitter) and two
random candidates (near the current match, and anywhere). Time O(N * dims) per
iteration; extra memory O(N), with large grids evaluated in chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from engine.chunks import DEFAULT, Budgets
from engine.config import Shape3
from engine.errors import Cancelled


class KeyTable:
    """Key descriptors (N, D) on a key grid, with squared norms (+inf for excluded keys)."""

    def __init__(self, kd: torch.Tensor, grid: Shape3, allowed: torch.Tensor | None = None) -> None:
        gt, gh, gw = grid
        self.grid = grid
        self.size = gt * gh * gw
        self.strides = (gh * gw, gw, 1)
        self.table = kd
        # |q|^2 + |k|^2 - 2 q.k is +inf for an excluded key (and never NaN).
        self.norms = kd.square().sum(1)
        self.device = kd.device
        if allowed is None:
            self.valid = None
        else:
            allowed = allowed.reshape(-1)
            self.norms[~allowed] = float("inf")
            self.valid = torch.nonzero(allowed).flatten()
            if self.valid.numel() == 0:
                raise ValueError("no key patch is allowed")
        steps = torch.tensor([-1, 0, 1], device=self.device)
        self.jitter = (steps[:, None, None] * (self.strides[0] if gt > 1 else 0)
                       + steps[None, :, None] * self.strides[1] + steps[None, None, :]).reshape(-1)

    def from_coords(self, t: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return (t * self.grid[1] + y) * self.grid[2] + x

    def to_coords(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return KeyTable.grid_coords(self.grid, idx)

    @staticmethod
    def grid_coords(grid: Shape3, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(t, y, x) of flat row-major indices on `grid`."""
        _, gh, gw = grid
        t, rest = idx // (gh * gw), idx % (gh * gw)
        return t, rest // gw, rest % gw

    def random(self, shape: Shape3, generator: torch.Generator) -> torch.Tensor:
        n = self.size if self.valid is None else self.valid.numel()
        pick = torch.randint(0, n, shape, generator=generator, device=generator.device).to(self.device)
        return pick if self.valid is None else self.valid[pick]


@dataclass
class Field:
    """Matches (flat indices on a KeyTable's grid) and their (weighted) squared distances."""

    idx: torch.Tensor  # (gt, gh, gw) int64
    dist: torch.Tensor  # (gt, gh, gw) float


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
    def __init__(self, q: torch.Tensor, keys: KeyTable, weights: torch.Tensor | None,
                 budgets: Budgets) -> None:
        self.q, self.keys, self.weights = q.unsqueeze(2), keys, weights
        self.q2 = q.square().sum(1)
        self.chunk = max(1024, budgets.search_elements // max(1, q.shape[1]))

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
        cand = cand.clamp_(0, self.keys.size - 1)
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
    budgets: Budgets = DEFAULT,
) -> Field:
    """Approximate nearest neighbours of the query descriptors (Nq, D) in `keys`.

    `init` is a starting field of flat key indices (query grid shaped); `weights` (one per
    key) scales each key's squared distance (completeness weighting).
    """
    device = q.device
    search = _Search(q, keys, weights, budgets)
    idx = init if init is not None else keys.random(query_grid, generator)
    f = Field(idx, search.distance(idx))
    bad = ~torch.isfinite(f.dist)
    if bool(bad.any()):  # an excluded start: replace by random allowed keys
        f.idx = torch.where(bad, keys.random(query_grid, generator), f.idx)
        f.dist = search.distance(f.idx)
    strides = keys.strides
    for _ in range(rounds):
        for step in steps:
            if cancel is not None and cancel():
                raise Cancelled()
            for axis in range(3):
                s = min(step, query_grid[axis] - 1, keys.grid[axis] - 1)
                if s < 1:
                    continue
                if cancel is not None and cancel():
                    raise Cancelled()
                for sign in (1, -1):
                    cand = _shifted(f.idx, axis, s, sign) - sign * s * strides[axis]
                    search.offer(f, cand)
                    if jitter:
                        pick = torch.randint(0, keys.jitter.numel(), query_grid, generator=generator,
                                             device=generator.device).to(device)
                        search.offer(f, cand + keys.jitter[pick])
            # Random search near the current match, then anywhere.
            near = f.idx.clone()
            for axis in range(3):
                r = min(2 * step, keys.grid[axis] - 1)
                if r >= 1:
                    off = torch.randint(-r, r + 1, query_grid, generator=generator, device=generator.device)
                    near += off.to(device) * strides[axis]
            search.offer(f, near)
            search.offer(f, keys.random(query_grid, generator))
    return f

"""PatchMatch with jump flooding between two sets of patch descriptors.

A nearest-neighbour field holds, for every query patch position on the query grid
(t, y, x), the flat (row-major) index of its match on the key grid. Propagating a
neighbour's match is a shift and a subtraction on the whole field at once; a candidate
that runs off a row simply names another real key, whose true distance is then computed,
so beyond one clamp no bounds logic runs per candidate. Excluded keys have an infinite
penalty and never win. Each iteration tries, for all queries at once, the six space-time
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
from engine.descriptors import Parts
from engine.errors import Cancelled

HEAD_DIMS = 16  # leading descriptor dimensions that screen every candidate
FIELD32_LIMIT = 2**31  # key grids (with a search's reach) under this hold their indices in 32 bits


def split_descriptors(d: torch.Tensor | Parts, head: int = HEAD_DIMS) -> Parts:
    """Descriptors as (the leading `head` dimensions, the rest or None), each contiguous:
    split descriptors (descriptors.describe_parts) as they are, one (N, D) block copied
    apart."""
    if isinstance(d, tuple):
        return d
    split = min(head, d.shape[1])
    return d[:, :split].contiguous(), (d[:, split:].contiguous() if d.shape[1] > split else None)


class KeyTable:
    """Key descriptors (N, D) on a key grid, split into leading and trailing dimensions
    (or given split, as descriptors.describe_parts makes them).

    The leading `HEAD_DIMS` dimensions (the basis puts the strongest first) screen every
    candidate; the rest are read only for candidates whose partial distance still beats
    the current match: a partial sum of squares is a lower bound of the full one, so the
    result is exactly that of the full-dimension search, at a fraction of the reads.
    Excluded keys carry an infinite penalty and never win."""

    def __init__(self, kd: torch.Tensor | Parts, grid: Shape3, allowed: torch.Tensor | None = None,
                 cost: torch.Tensor | None = None) -> None:
        gt, gh, gw = grid
        self.grid = grid
        self.size = gt * gh * gw
        self.strides = (gh * gw, gw, 1)
        self.head, self.tail = split_descriptors(kd)
        self.device = self.head.device
        # Flat key indices (a search's field, its jitter, the allowed keys) are 32-bit where
        # every candidate fits (a candidate is a match moved by at most 17 frames' and rows'
        # strides before it is clamped): the passes over a field then move half the bytes.
        reach = 32 * (self.strides[0] + self.strides[1] + 1)
        self.index = torch.int32 if self.size + reach < FIELD32_LIMIT else torch.int64
        # A key's cost (inpainting's locality) added to its distance; excluded keys: inf.
        self.penalty = None if cost is None else cost.reshape(-1).to(self.head.dtype).clone()
        if allowed is None:
            self.valid = None
        else:
            allowed = allowed.reshape(-1)
            if self.penalty is None:
                self.penalty = torch.zeros(self.size, device=self.device, dtype=self.head.dtype)
            self.penalty[~allowed] = float("inf")
            self.valid = torch.nonzero(allowed).flatten().to(self.index)
            if self.valid.numel() == 0:
                raise ValueError("no key patch is allowed")
        steps = torch.tensor([-1, 0, 1], device=self.device)
        self.jitter = (steps[:, None, None] * (self.strides[0] if gt > 1 else 0)
                       + steps[None, :, None] * self.strides[1] + steps[None, None, :]).reshape(-1).to(self.index)

    @property
    def table(self) -> torch.Tensor:
        """All dimensions (N, D), for tests and reverse searches."""
        return self.head if self.tail is None else torch.cat([self.head, self.tail], 1)

    def from_coords(self, t: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return (t * self.grid[1]).add_(y).mul_(self.grid[2]).add_(x)  # one new field, not three

    def to_coords(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return KeyTable.grid_coords(self.grid, idx)

    @staticmethod
    def grid_coords(grid: Shape3, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(t, y, x) of flat row-major indices on `grid` (indices are never negative, so
        the remainders are subtractions). Three new fields, no temporaries: on a Full-HD
        level each is a 231 MB block."""
        _, gh, gw = grid
        t = torch.div(idx, gh * gw, rounding_mode="floor")
        x = torch.sub(idx, t, alpha=gh * gw)  # the index within its frame
        y = torch.div(x, gw, rounding_mode="floor")
        return t, y, x.sub_(y, alpha=gw)

    def random(self, shape: Shape3, generator: torch.Generator,
               out: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """Uniformly random allowed keys; `out`: two fields of `shape` to write the draw and
        the keys into (no new blocks), which give the same keys."""
        n = self.size if self.valid is None else self.valid.numel()
        if out is None:
            pick = torch.randint(0, n, shape, generator=generator, device=generator.device).to(self.device)
            return pick if self.valid is None else self.valid[pick]
        pick = _draw(0, n, out[0], generator)
        if self.valid is None:
            return pick
        return torch.index_select(self.valid, 0, pick.view(-1), out=out[1].view(-1)).view(shape)

class LoopRule:
    """Where a looped output may take patches across its clip's loop point: only where the
    output itself passes it, with every region of the frame at the same output frame.

    The keys are the clip followed by its own first pt-1 frames (run.py), so key t of the
    P keys along time (P: the clip's frames) wraps `P - t` frames into its patch when
    t > P - pt. A query patch crosses one of the output's loop points (multiples of P) at
    the same place when its phase, t mod P, does. A key is allowed only when both agree:
    across a loop point a query takes the key of its own phase (no time offset there),
    elsewhere any key that does not wrap. Without it a region that PatchMatch had set a
    frame ahead of its neighbours passed the loop a frame earlier, and one output frame
    showed the clip's end beside its start (a seam across the sky)."""

    def __init__(self, period: int, pt: int, query_frames: int, key_plane: int,
                 device: torch.device) -> None:
        self.period, self.pt, self.plane = period, pt, key_plane
        phase = torch.arange(query_frames, device=device) % period
        self.cut = torch.where(phase > period - pt, period - phase, 0)  # where a query crosses
        # Each query frame's allowed keys are one run of flat indices, [lo, hi): a range
        # test needs no division of the candidates' indices.
        crossing = self.cut > 0
        lo = torch.where(crossing, phase, 0)
        hi = torch.where(crossing, phase + 1, period - pt + 1)
        self.lo = (lo * key_plane).view(-1, 1, 1)
        self.hi = (hi * key_plane).view(-1, 1, 1)

    def outside(self, idx: torch.Tensor) -> torch.Tensor:
        """Which matches of a field (query grid shaped) the rule forbids."""
        return (idx < self.lo) | (idx >= self.hi)

    def snap(self, idx: torch.Tensor) -> torch.Tensor:
        """A field with each forbidden match moved in time only: to the query's own phase
        across a loop point; elsewhere off a wrapping key to the nearer side of the loop
        (the clip's last whole patch, or its first)."""
        bad = self.outside(idx)
        if not bool(bad.any()):
            return idx
        p, pt = self.period, self.pt
        kt, rest = idx // self.plane, idx % self.plane
        wrap = torch.where(kt > p - pt, p - kt, 0)
        off_loop = torch.where(2 * wrap >= pt, p - pt, 0)
        fixed = torch.where(self.cut.view(-1, 1, 1) > 0, self.lo // self.plane, off_loop)
        return torch.where(bad, fixed * self.plane + rest, idx)


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


def rescale_coords(coords: Sequence[torch.Tensor], old_query: Shape3, old_key: Shape3, old_patch: Shape3,
                   query: Shape3, key: Shape3, patch: Shape3,
                   period: tuple[int, int] | None = None) -> list[torch.Tensor]:
    """A coarser level's matches (coordinates on its key patch grid, shaped like its query
    patch grid) carried to a finer level, as starting matches there.

    Shapes are the videos' (T, H, W) at both levels. Each fine query takes the coarse
    match of the nearest coarse query, but as an offset from where the query sits, scaled:
    fine neighbours inside one coarse cell then point at neighbouring keys, a coherent copy
    of the coarse mapping, where scaling the coarse coordinates would send a whole cell to
    one key. `period` (the clip's frames at the coarse and the fine level): the output is
    the clip looped in time (keys: the clip and its first pt-1 frames, run.py), so time is
    mapped pass by pass and offsets are taken around the loop; scaling the whole output's
    length instead put the fine loop points a frame or more off the coarse ones."""
    device = coords[0].device
    grid = [q - p + 1 for q, p in zip(query, patch, strict=True)]
    src, ident = [], []
    for axis, (n, q, oq, k, ok, p, op) in enumerate(zip(grid, query, old_query, key, old_key, patch,
                                                        old_patch, strict=True)):
        c = torch.arange(n, device=device, dtype=torch.float64) + (p - 1) / 2  # fine query centres
        if axis == 0 and period is not None:
            old_p, new_p = period
            passes = torch.floor(c / new_p)
            phase = c - passes * new_p
            c_old = passes * old_p + (phase + 0.5) * old_p / new_p - 0.5
            i_old = (c_old - (op - 1) / 2).round().clamp(0, oq - op).long()
            c_taken = i_old.double() + (op - 1) / 2
            ident.append((phase, torch.remainder(c_taken, old_p), new_p / old_p, p, k - p))
            src.append(i_old)
            continue
        c_old = (c + 0.5) * oq / q - 0.5  # the same place at the coarse level
        i_old = (c_old - (op - 1) / 2).round().clamp(0, oq - op).long()  # nearest coarse query
        # Where the identity mapping puts each fine query, and the coarse query whose match
        # it takes, in the keys: offsets are measured from there.
        c_taken = i_old.double() + (op - 1) / 2
        ident.append(((c + 0.5) * k / q - 0.5, (c_taken + 0.5) * ok / oq - 0.5, k / ok, p, k - p))
        src.append(i_old)
    out = []
    # Whole fields of a Full-HD level are 231 MB (462 MB in float64): each axis's field is
    # made once and filled a few frames at a time, the arithmetic in place on each slab in
    # the order written out in the comments, so no whole-field temporary is mapped and
    # zeroed by the kernel. Every match is computed on its own: the slabs give one pass's.
    rows, cols = src[1].view(1, -1, 1), src[2].view(1, 1, -1)
    per = max(1, (1 << 22) // max(1, grid[1] * grid[2]))
    for axis, g in enumerate(coords):
        e, e_old, scale, p, last = ident[axis]
        op = old_patch[axis]
        shape = [1, 1, 1]
        shape[axis] = -1
        coarse = g.double()
        field = torch.empty(grid, device=device, dtype=torch.long)
        for t0 in range(0, grid[0], per):
            t1 = min(grid[0], t0 + per)
            e_s, e_old_s = (e[t0:t1], e_old[t0:t1]) if axis == 0 else (e, e_old)
            # offset = (g + (op - 1) / 2) - e_old: coarse match centre - identity, in coarse key pixels
            offset = coarse[src[0][t0:t1].view(-1, 1, 1), rows, cols].add_((op - 1) / 2).sub_(e_old_s.view(shape))
            if axis == 0 and period is not None:
                # Around the loop: the key a frame before the loop point is a frame back.
                offset = torch.remainder(offset + period[0] / 2, period[0]) - period[0] / 2
                centre = e_s.view(shape) + offset * scale
                field[t0:t1] = torch.remainder((centre - (p - 1) / 2).round().long(), period[1])
                continue
            # centre = e + offset * scale; the match's corner = round(centre - (p - 1) / 2)
            corner = offset.mul_(scale).add_(e_s.view(shape)).sub_((p - 1) / 2).round_()
            field[t0:t1] = corner.long().clamp_(0, last)
        out.append(field)
    return out


def _shift_into(out: torch.Tensor, g: torch.Tensor, axis: int, step: int, sign: int) -> torch.Tensor:
    """out[p] = g[p + sign*step along axis], and g[p] where that neighbour does not exist
    (0 < step < g.shape[axis]). Written into `out`: on a Full-HD level a fresh field is a
    231 MB block, and the kernel zeroing new blocks cost more than the search's reads."""
    n = g.shape[axis]
    if sign > 0:
        out.narrow(axis, 0, n - step).copy_(g.narrow(axis, step, n - step))
        out.narrow(axis, n - step, step).copy_(g.narrow(axis, n - step, step))
    else:
        out.narrow(axis, step, n - step).copy_(g.narrow(axis, 0, n - step))
        out.narrow(axis, 0, step).copy_(g.narrow(axis, 0, step))
    return out


def _draw(low: int, high: int, out: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Uniform integers in [low, high) into `out`: the numbers torch.randint(low, high,
    out.shape, generator=generator) gives, without a new block for them."""
    if generator.device == out.device:
        return torch.randint(low, high, out.shape, generator=generator, out=out, device=out.device)
    # (A host generator on a GPU run: the coarse levels draw on the CPU, run.py.)
    return out.copy_(torch.randint(low, high, out.shape, generator=generator,
                                   device=generator.device).to(out.device))


# Above this share of candidates that differ from the current matches, all are measured
# (listing the few equal ones costs more than it saves).
FRESH_SHARE = 0.6
SKIM = {"cpu": True}  # devices that measure only the candidates that can still win (_Search)


class _Search:
    def __init__(self, q: torch.Tensor | Parts, keys: KeyTable, weights: torch.Tensor | None,
                 budgets: Budgets, loop: LoopRule | None = None) -> None:
        self.loop = loop
        self.qh, qt = split_descriptors(q, keys.head.shape[1])
        self.qt = qt if keys.tail is not None else None
        self.keys, self.weights = keys, weights
        dims = self.qh.shape[1] + (qt.shape[1] if qt is not None else 0)
        self.chunk = max(1024, budgets.search_elements // max(1, dims))
        # On the CPU, measuring only the candidates that can still win saves work. Listing
        # them (torch.nonzero) makes a GPU wait for its queue to empty, 2,000 times in a
        # 144p run, for work it would do in microseconds: there every candidate is measured
        # in full. Both give the same field.
        self.skim = SKIM.get(self.qh.device.type, False)

    @staticmethod
    def _sq(table: torch.Tensor, flat: torch.Tensor, q: torch.Tensor, rows: torch.Tensor | None,
            chunk: int) -> torch.Tensor:
        """Squared distances between q[rows] (all rows when None) and table[flat], in chunks."""
        n = flat.numel()
        out = torch.empty(n, device=q.device, dtype=q.dtype)
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            g = table.index_select(0, flat[s:e])
            part = q[s:e] if rows is None else q.index_select(0, rows[s:e])
            torch.sum(g.sub_(part).square_(), 1, out=out[s:e])
        return out

    def distance(self, idx: torch.Tensor, bound: torch.Tensor | None = None,
                 queries: torch.Tensor | None = None) -> torch.Tensor:
        """(Weighted) squared distances of every query (or of the `queries` listed, flat
        indices) to key `idx`. With a `bound`, a candidate whose leading dimensions already
        reach it keeps that partial distance (it cannot win); only the others read the
        trailing dimensions."""
        keys = self.keys
        flat = idx.reshape(-1)
        d = self._sq(keys.head, flat, self.qh, queries, self.chunk)
        if keys.penalty is not None:
            d.add_(keys.penalty.index_select(0, flat))
        w = self.weights.index_select(0, flat) if self.weights is not None else None
        if w is not None:
            d.mul_(w)
        if keys.tail is not None and self.qt is not None:
            if bound is None or not self.skim:
                rows = None
                live = flat
            else:
                rows = torch.nonzero(d < bound.reshape(-1)).flatten()
                live = flat.index_select(0, rows)
            if live.numel():
                q_rows = queries if rows is None else (rows if queries is None else queries.index_select(0, rows))
                extra = self._sq(keys.tail, live, self.qt, q_rows, self.chunk)
                if w is not None:
                    extra.mul_(w if rows is None else w.index_select(0, rows))
                if rows is None:
                    d.add_(extra)
                else:
                    d.index_add_(0, rows, extra)
        return d.view(idx.shape)

    def offer(self, f: Field, cand: torch.Tensor) -> None:
        cand = cand.clamp_(0, self.keys.size - 1)
        if self.loop is not None:  # a forbidden candidate is no candidate (the field starts allowed)
            cand = torch.where(self.loop.outside(cand), f.idx, cand)
        # In a coherent field most propagated candidates are the match a query already has
        # (its neighbour copies the same region): their distance is known and cannot win
        # (the test is strict), so only the others are measured. The same field results.
        flat = cand.view(-1)
        fresh = torch.nonzero(flat != f.idx.view(-1)).flatten() if self.skim else None
        # The field is updated in place (patchmatch owns it): a new field per offer was a
        # fresh block for the kernel to zero, 28 times a Full-HD level.
        if fresh is None or fresh.numel() > FRESH_SHARE * flat.numel():
            d = self.distance(cand, f.dist)
            better = d < f.dist
            torch.where(better, d, f.dist, out=f.dist)
            torch.where(better, cand, f.idx, out=f.idx)
            return
        if not fresh.numel():
            return
        c = flat.index_select(0, fresh)
        dist = f.dist.view(-1)
        held = dist.index_select(0, fresh)
        d = self.distance(c, held, queries=fresh)
        better = d < held
        won = fresh[better]
        dist.index_put_((won,), d[better])
        f.idx.view(-1).index_put_((won,), c[better])


def patchmatch(
    q: torch.Tensor | Parts,
    query_grid: Shape3,
    keys: KeyTable,
    *,
    steps: Sequence[int] = (8, 4, 1),
    rounds: int = 5,
    init: torch.Tensor | None = None,
    weights: torch.Tensor | None = None,
    jitter: bool = True,
    anywhere: bool = True,
    generator: torch.Generator,
    cancel: Callable[[], bool] | None = None,
    budgets: Budgets = DEFAULT,
    loop: LoopRule | None = None,
) -> Field:
    """Approximate nearest neighbours of the query descriptors (Nq, D), or split as the
    keys' (descriptors.describe_parts), in `keys`.

    `init` is a starting field of flat key indices (query grid shaped); `weights` (one per
    key) scales each key's squared distance (completeness weighting); `anywhere` adds a
    uniformly random candidate per iteration (worth it from a random start only); `loop`
    keeps a looped output's matches across its loop points whole-frame (LoopRule).
    """
    search = _Search(q, keys, weights, budgets, loop)
    # The field is held in the table's index integers (32 bits where they fit) and returned
    # in 64, as callers use it.
    strides, field = keys.strides, keys.index
    idx = init.to(field, copy=True) if init is not None else keys.random(query_grid, generator).to(field)
    if loop is not None:
        idx = loop.snap(idx).to(field)
    f = Field(idx, search.distance(idx))
    bad = ~torch.isfinite(f.dist)
    if bool(bad.any()):  # an excluded start: replace by random allowed keys
        f.idx = torch.where(bad, keys.random(query_grid, generator), f.idx).to(field)
        if loop is not None:
            f.idx = loop.snap(f.idx).to(field)
        f.dist = search.distance(f.idx)
    # Candidates and random draws go to three fields made once per search (not per offer).
    cand, extra, draws = (torch.empty_like(f.idx) for _ in range(3))
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
                    _shift_into(cand, f.idx, axis, s, sign).sub_(sign * s * strides[axis])
                    search.offer(f, cand)
                    if jitter:
                        pick = _draw(0, keys.jitter.numel(), draws, generator)
                        torch.index_select(keys.jitter, 0, pick.view(-1), out=extra.view(-1))
                        search.offer(f, extra.add_(cand))
            # Random search near the current match, then anywhere.
            extra.copy_(f.idx)
            for axis in range(3):
                r = min(2 * step, keys.grid[axis] - 1)
                if r >= 1:
                    extra.add_(_draw(-r, r + 1, draws, generator).mul_(strides[axis]))
            search.offer(f, extra)
            if anywhere:
                search.offer(f, keys.random(query_grid, generator, out=(draws, cand)))
    f.idx = f.idx.long()
    return f

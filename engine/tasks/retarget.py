"""Retargeting: the source at a new width, height or duration, without noise, so the
output keeps the source's layout and only rearranges where the size changed."""

from __future__ import annotations

import itertools
from typing import ClassVar

import torch

from engine.config import Shape3
from engine.patchmatch import identity_coords
from engine.pyramid import resize
from engine.tasks.base import Coords, LevelSetup, Task, TaskContext


class Retarget(Task):
    name = "retarget"
    default_noise = 0.0
    blends_seams = True
    retimes = True
    # The axes (1: height, 2: width) along which a longer frame also tries starts made of
    # repeated bands (coarsest_starts). Width is off: the most coherent wider start repeats
    # whole subjects (ballet 1.5x and 2x wider: two and three dancers in step, a step in
    # air_balloons' sky at each band), though it fixes textures (lava streams 117-144 px
    # wide at p90 stretched, 85-107 with bands; the input's 85). Add 2 to get it.
    band_axes: ClassVar[tuple[int, ...]] = (1,)

    def first_field(self, query_grid: Shape3, key_grid: Shape3, device: torch.device,
                    source_frames: int = 0) -> Coords | None:
        # Each query at the same relative place in the source: the right answer for an
        # unchanged size and a good start for a changed one. In time, a longer output is
        # the source looped (its coarsest query is), each query at its own moment of it.
        coords = identity_coords(query_grid, key_grid, device)
        q_t, k_t = query_grid[0], key_grid[0]
        if q_t > k_t and source_frames:
            moment = (torch.arange(q_t, device=device) % source_frames).clamp(max=k_t - 1)
            coords[0] = moment.view(-1, 1, 1).expand(query_grid).contiguous()
        return tuple(coords)  # type: ignore[return-value]

    def coarsest_starts(self, ctx: TaskContext, setup: LevelSetup, query: torch.Tensor,
                        field: Coords | None) -> list[tuple[torch.Tensor, Coords | None]]:
        # A wider or taller frame stretched at the coarsest level stays stretched (no noise
        # moves it): lava streams came out 1.6x as wide, ballet's snow bank twice, one above
        # the other. So the source with bands of its own rows (or columns) repeated is tried
        # beside the stretch along each growing axis of band_axes (_band_maps); run.py keeps
        # the start whose first level is most coherent with the source.
        if field is None:
            return [(query, field)]
        source = self._looped(ctx.pyramid[0], query.shape[1])
        out = tuple(query.shape[1:])
        patch = ctx.levels[0].patch
        options: list[list[tuple[torch.Tensor | None, torch.Tensor | None]]] = []
        for axis in (1, 2):  # H, W of (T, H, W)
            n_src, n_out = source.shape[axis + 1], out[axis]
            maps = _band_maps(source, axis + 1, n_out, patch[axis]) if axis in self.band_axes else []
            options.append([(None, None)] + [(rows, _field_axis(rows, patch[axis], n_src)) for rows in maps])
        starts = []
        for (rows, f_rows), (cols, f_cols) in itertools.product(*options):
            if rows is None and cols is None:
                starts.append((query, field))
                continue
            q = source
            if rows is not None:
                q = q.index_select(2, rows.to(q.device))
            if cols is not None:
                q = q.index_select(3, cols.to(q.device))
            q = resize(q, out, budgets=ctx.budgets, cancel=ctx.cancel)  # (time only)
            t, h, w = field
            if f_rows is not None:
                h = f_rows.to(h.device).view(1, -1, 1).expand_as(h).contiguous()
            if f_cols is not None:
                w = f_cols.to(w.device).view(1, 1, -1).expand_as(w).contiguous()
            starts.append((setup.constrain(q), (t, h, w)))
        return starts

    def _looped(self, source: torch.Tensor, out_t: int) -> torch.Tensor:
        """The coarsest source carried on in time to `out_t` frames, as coarsest_query does."""
        src_t = source.shape[1]
        if out_t > src_t:
            source = source[:, torch.arange(out_t, device=source.device) % src_t]
        return source


def _band_maps(source: torch.Tensor, dim: int, n_out: int, patch: int) -> list[torch.Tensor]:
    """Source index of each output row (or column, `dim` of the (C, T, H, W) source) for a
    longer axis made of the source with bands of its own rows repeated: one band at the
    start, one at the end, and bands placed where the rows after a band's end look most
    like its first rows (the seam shows least; a band in the middle of a sky left a step
    in its brightness). A band is at most half the axis, so that a start twice as long is
    not two whole copies with one seam between them. [] when not longer."""
    n = source.shape[dim]
    extra = n_out - n
    if extra <= 0:
        return []
    whole = torch.arange(n)
    maps = []
    if extra <= n // 2:
        maps += [torch.cat([whole[:extra], whole]), torch.cat([whole, whole[n - extra:]])]
    lines = source.movedim(dim, 0).reshape(n, -1)
    m = whole
    while len(m) < n_out:
        e = min(n_out - len(m), max(1, n // 2))
        x = _best_seam(lines[m.to(lines.device)], e, (patch + 1) // 2)
        m = torch.cat([m[:x + e], m[x:]])  # rows x..x+e-1 twice
    maps.append(m)
    unique: list[torch.Tensor] = []
    for m in maps:
        if not any(torch.equal(m, u) for u in unique):
            unique.append(m)
    return unique


def _best_seam(lines: torch.Tensor, e: int, w: int) -> int:
    """Where a band of `e` rows of `lines` (rows, features) repeats with the least visible
    seam: the row x whose `w` rows either side are most like those either side of x + e
    (the rows the repeat stands in for), by mean squared difference; ties to the first."""
    n = lines.shape[0]
    if e >= n:
        return 0
    d = (lines[:n - e] - lines[e:]).square().mean(1)  # d[j]: row j against row j + e
    costs = []
    for x in range(n - e + 1):
        costs.append(d[max(0, x - w):min(n - e, x + w)].mean())
    return int(torch.stack(costs).argmin())


def _field_axis(rows: torch.Tensor, patch: int, n_src: int) -> torch.Tensor:
    """The key patch position each query patch position starts from along one axis: the
    patch whose centre is the source row the query's centre row was taken from."""
    c = (patch - 1) // 2
    centres = rows[c:len(rows) - (patch - 1 - c)]
    return (centres - c).clamp(0, n_src - patch)

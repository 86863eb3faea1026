"""One VPNN layer: replace every query patch by the value patch at its nearest key, EM-style."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch

from engine.chunks import DEFAULT, Budgets
from engine.config import Shape3
from engine.descriptors import Parts, describe_parts, patch_grid, pca_basis, prefix
from engine.errors import Cancelled
from engine.patchmatch import HEAD_DIMS, KeyTable, LoopRule, patchmatch
from engine.vote import vote

Coords = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class SearchOptions:
    dims: int = 16  # descriptor dimensions for the search
    final_dims: int | None = None  # for the last EM iteration of a level (None: `dims`)
    steps: tuple[int, ...] = (8, 4, 1)
    cold_rounds: int = 5  # rounds of `steps` from a random start (15 iterations)
    # From a warm start (the previous EM iteration, or the level below rescaled) the field
    # is nearly converged: one round of short jumps, without jitter, finishes it.
    warm_steps: tuple[int, ...] = (2, 1)
    warm_jitter: bool = False
    warm_anywhere: bool = True  # a uniformly random candidate in warm searches too
    reverse_steps: tuple[int, ...] = (1,)  # warm reverse (completeness) search
    completeness_alpha: float | None = 1.0
    vote_stride: int = 3
    reduce: str = "luma"


@dataclass
class Timings:
    values: dict[str, float] = field(default_factory=lambda: {"pyramid": 0.0, "search": 0.0, "vote": 0.0})
    # CUDA runs asynchronously: without a sync a phase's work is billed to whichever phase
    # next waits for the GPU. A few syncs a level cost nothing next to the work.
    sync: bool = False
    device: torch.device | None = None  # the GPU to wait for (cuda:1 is not the current one)

    def add(self, key: str, since: float) -> float:
        if self.sync:
            torch.cuda.synchronize(self.device)
        now = time.perf_counter()
        self.values[key] = self.values.get(key, 0.0) + now - since
        return now


def _search(qd: torch.Tensor | Parts, query_grid: Shape3, table: KeyTable, init: torch.Tensor | None,
            opts: SearchOptions, generator: torch.Generator, cancel: Callable[[], bool] | None,
            weights: torch.Tensor | None = None, budgets: Budgets = DEFAULT,
            loop: LoopRule | None = None):
    if init is None:
        return patchmatch(qd, query_grid, table, steps=opts.steps, rounds=opts.cold_rounds,
                          weights=weights, generator=generator, cancel=cancel, budgets=budgets,
                          loop=loop)
    return patchmatch(qd, query_grid, table, steps=opts.warm_steps, rounds=1, init=init,
                      weights=weights, jitter=opts.warm_jitter, anywhere=opts.warm_anywhere,
                      generator=generator, cancel=cancel, budgets=budgets, loop=loop)


def vpnn_layer(
    query: torch.Tensor,
    keys: list[torch.Tensor],
    value: torch.Tensor,
    patch: Shape3,
    iters: int,
    *,
    opts: SearchOptions,
    generator: torch.Generator,
    init: Coords | None = None,
    init_reverse: Coords | None = None,
    key_mask: torch.Tensor | None = None,
    key_cost: torch.Tensor | None = None,
    cancel: Callable[[], bool] | None = None,
    timings: Timings | None = None,
    constrain: Callable[[torch.Tensor], torch.Tensor] | None = None,
    query_guide: torch.Tensor | None = None,
    key_guide: torch.Tensor | None = None,
    colour_weight: float = 1.0,
    budgets: Budgets = DEFAULT,
    loop: int | None = None,
) -> tuple[torch.Tensor, Coords, Coords | None]:
    """Run `iters` EM iterations; iteration i searches keys[min(i, len(keys)-1)].

    Shapes: query (C, Tq, Hq, Wq); keys and value (C, Tk, Hk, Wk); returns the new query
    video (C, Tq, Hq, Wq), the matches' coordinates on the key grid and, with completeness
    weighting, the keys' matches on the query grid (warm starts for the next level).
    `key_mask` (key grid, bool) marks the keys allowed; `constrain` re-pins voxels after
    every vote. `keys` is emptied once the last key video is described, so that on Full-HD
    levels the caller's list does not keep it alive. Guides (G channels shaped like the query
    and like the keys) join Q and K for the search only, beside the colours scaled by
    `colour_weight`; V stays `value`. `loop`: the query is the clip looped in time, and the
    keys this many frames of it followed by its first pt-1 (run.py); the matches then pass
    the loop points whole-frame (patchmatch.LoopRule).
    """
    if iters < 1:
        raise ValueError(f"vpnn_layer needs at least one EM iteration, got {iters}")
    timings = timings or Timings()
    t0 = time.perf_counter()
    key_grid = patch_grid(tuple(value.shape[1:]), patch)
    query_grid = patch_grid(tuple(query.shape[1:]), patch)
    guided = query_guide is not None or key_guide is not None or colour_weight != 1.0
    # (A clip shorter than a patch has no patch that does not wrap: no rule. One exactly a
    # patch long has one, its first: the rule holds every query to its own moment.)
    rule = None
    if loop and loop >= patch[0]:
        rule = LoopRule(loop, patch[0], query_grid[0], key_grid[1] * key_grid[2], query.device)

    def searched(colour: torch.Tensor, guide: torch.Tensor | None) -> torch.Tensor:
        if not guided:
            return colour
        parts = [colour * colour_weight] + ([guide] if guide is not None else [])
        return torch.cat(parts)

    # Early iterations settle the layout with short descriptors; the last one, whose
    # matches make the output, compares patches on `final_dims` of them (the leading rows
    # of one basis, so a long key table also serves the short searches as its prefix).
    final = max(opts.dims, opts.final_dims or opts.dims)
    basis = pca_basis(searched(value, key_guide), patch, final, generator)
    n_keys = len(keys)
    last_key = min(iters, n_keys) - 1
    described: dict[int, Parts] = {}
    tables: dict[tuple[int, int], KeyTable] = {}
    nnf = None  # flat key indices; the key tables of one level share one grid
    rev = None
    out = query
    for i in range(iters):
        if cancel is not None and cancel():
            raise Cancelled()
        ki = min(i, n_keys - 1)
        dims = final if i == iters - 1 else min(opts.dims, final)
        if ki not in described:
            for k in [k for k in described if k < ki]:  # the blurry keys are done with
                del described[k]
            tables = {key: t for key, t in tables.items() if key[0] >= ki}
            # The last key video serves the last iteration: describe it in full.
            need = final if ki == last_key else dims
            described[ki] = describe_parts(searched(keys[ki], key_guide), basis[:need], HEAD_DIMS,
                                           budgets=budgets, cancel=cancel)
            if ki == last_key:
                keys[:] = []  # release the key videos (see the docstring)
        kd = prefix(described[ki], dims)
        if (ki, dims) not in tables:
            tables[(ki, dims)] = KeyTable(kd, key_grid, key_mask, key_cost)
        table = tables[(ki, dims)]
        if nnf is None and init is not None:
            nnf = table.from_coords(*init)
        qd = describe_parts(searched(out, query_guide), basis[:dims], HEAD_DIMS, budgets=budgets,
                            cancel=cancel)
        weights = None
        if opts.completeness_alpha is not None:
            # Completeness: d_k = each key's distance to its nearest query (reverse search);
            # keys already well represented in the output become less attractive.
            qtable = KeyTable(qd, query_grid)
            if rev is None and init_reverse is not None:
                rev = qtable.from_coords(*init_reverse)
            rev_opts = replace(opts, warm_steps=opts.reverse_steps)
            rev_f = _search(kd, key_grid, qtable, rev, rev_opts, generator, cancel, budgets=budgets)
            rev = rev_f.idx
            weights = (rev_f.dist.reshape(-1) + opts.completeness_alpha).reciprocal_()
        nnf = _search(qd, query_grid, table, nnf, opts, generator, cancel, weights, budgets, rule).idx
        del qd, weights
        coords = table.to_coords(nnf)
        if i == iters - 1:
            # Descriptors are not needed for the last vote; on a Full-HD level the key
            # table alone is about a GB, so it goes before the vote allocates.
            tables.clear()
            described.clear()
            del kd, table
        t0 = timings.add("search", t0)
        out = vote(value, coords, patch, reduce=opts.reduce, stride=opts.vote_stride, cancel=cancel,
                   budgets=budgets)
        if constrain is not None:  # voxels a task pins (outside an inpainting hole)
            out = constrain(out)
        t0 = timings.add("vote", t0)
    rev_coords = KeyTable.grid_coords(query_grid, rev) if rev is not None else None
    return out, coords, rev_coords

"""The coarse-to-fine driver: a generator that yields the current output after every level."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np
import torch

from engine import chunks
from engine.config import Settings, Shape3
from engine.descriptors import patch_grid
from engine.device import device_label as _device_label
from engine.device import pick_device
from engine.errors import Cancelled, InputError
from engine.patchmatch import identity_coords, rescale_coords
from engine.pyramid import LazyPyramid, Plan, plan_levels, resize
from engine.request import TASKS, LevelResult, Request
from engine.tasks import coarsest_query, level_inputs
from engine.vpnn import SearchOptions, Timings, vpnn_layer

__all__ = ["run", "device_label", "output_shape", "to_tensor", "to_frames"]


def device_label(settings: Settings | None = None) -> str:
    return _device_label(pick_device((settings or Settings()).device))


def to_tensor(frames: np.ndarray, device: torch.device) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (3, T, H, W) float32 in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).to(device)
    return x.permute(3, 0, 1, 2).float().div_(127.5).sub_(1.0).contiguous()


def to_frames(video: torch.Tensor) -> np.ndarray:
    """(3, T, H, W) in [-1, 1] -> (T, H, W, 3) uint8."""
    x = video.add(1.0).mul_(127.5).round_().clamp_(0, 255).to(torch.uint8)
    return x.permute(1, 2, 3, 0).contiguous().cpu().numpy()


def output_shape(source: Shape3, request: Request, scale: float = 1.0) -> Shape3:
    """The output (T, H, W) for a (possibly downscaled) source: requested sizes are in the
    original's pixels, so they shrink by the same `scale` as the source did."""
    t, h, w = source
    oh = max(1, round(request.height * scale)) if request.height else h
    ow = max(1, round(request.width * scale)) if request.width else w
    return (request.frames or t, oh, ow)


def _validate(frames: np.ndarray, request: Request) -> None:
    if request.task == "inpaint":
        mask = request.mask
        if mask is None or mask.shape != frames.shape[:3]:
            got = None if mask is None else mask.shape
            raise InputError(f"inpaint needs a (T, H, W) mask the size of the clip {frames.shape[:3]}, got {got}")
        if not mask.any():
            raise InputError("the mask is empty: paint the region to fill")
        if request.hints is not None and request.hints.shape != (*frames.shape[:3], 4):
            raise InputError(f"hints must be (T, H, W, 4) RGBA, got {request.hints.shape}")
        if any(v is not None for v in (request.frames, request.height, request.width)):
            raise InputError("inpaint keeps the clip's size: leave width, height and frames unset")
    if request.task not in TASKS:
        raise InputError(f"unknown task {request.task!r}: choose from {', '.join(TASKS)}")
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise InputError(f"source frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    for name in ("frames", "height", "width"):
        v = getattr(request, name)
        if v is not None and v < 1:
            raise InputError(f"output {name} must be at least 1, got {v}")


def run(source: np.ndarray, request: Request, cancel: Callable[[], bool] | None = None) -> Iterator[LevelResult]:
    """Yield one LevelResult per pyramid level, coarse to fine; the last one is the output.

    `cancel()` is polled between PatchMatch iterations; when it returns True the generator
    raises `Cancelled`. Same source, request and device give identical frames.
    """
    _validate(source, request)
    settings = request.settings
    device = pick_device(settings.device)
    notes: list[str] = []
    if device.type != "cuda":
        yield from _run_on(device, source, request, cancel, notes)
        return
    # On a GPU out-of-memory: start again with work chunks an eighth of the size, then on
    # the CPU. Each restart yields from the coarsest level again.
    for attempt in ("gpu", "small", "cpu"):
        try:
            if attempt == "cpu":
                yield from _run_on(torch.device("cpu"), source, request, cancel, notes)
            else:
                with chunks.smaller(8 if attempt == "small" else 1):
                    yield from _run_on(device, source, request, cancel, notes)
            return
        except torch.OutOfMemoryError:
            torch.cuda.empty_cache()
            notes.append("the GPU ran out of memory: retrying with smaller work chunks"
                         if attempt == "gpu" else "the GPU ran out of memory again: finishing on the CPU")


def _run_on(device: torch.device, source: np.ndarray, request: Request,
            cancel: Callable[[], bool] | None, notes: list[str]) -> Iterator[LevelResult]:
    settings = request.settings
    start = time.perf_counter()
    timings = Timings()
    label = _device_label(device)
    gen = torch.Generator(device=device)
    gen.manual_seed(int(request.seed) & 0xFFFF_FFFF_FFFF)

    x = to_tensor(source, device)
    scale = 1.0
    t, h, w = source.shape[:3]
    if settings.max_side and max(h, w) > settings.max_side:
        scale = settings.max_side / max(h, w)
        small = (t, max(1, round(h * scale)), max(1, round(w * scale)))
        x = resize(x, small)
        notes.append(f"input downscaled from {w}x{h} to {small[2]}x{small[1]} (max side {settings.max_side})")
    src_shape: Shape3 = tuple(x.shape[1:])  # type: ignore[assignment]
    out_shape = output_shape(src_shape, request, scale)
    plan: Plan = plan_levels(src_shape, out_shape, settings)
    notes.extend(n for n in plan.notes if n not in notes)
    levels = plan.levels
    pyramid = LazyPyramid(x, levels)
    timings.add("pyramid", start)

    # Completeness weighting spreads the use of all input patches over the output; for a
    # hole in an otherwise fixed video it means nothing and its reverse search would cost as
    # much as the whole video, so inpainting goes without it.
    alpha = None if request.task == "inpaint" else settings.completeness_alpha
    opts = SearchOptions(dims=settings.descriptor_dims, completeness_alpha=alpha,
                         cold_rounds=settings.pm_rounds, vote_stride=settings.vote_stride,
                         reduce=settings.vote)
    inputs = level_inputs(request, levels, pyramid, device, notes)
    first = next(i for i, inp in enumerate(inputs) if inp is not None)
    levels, pyramid, inputs = levels[first:], pyramid.skip(first), inputs[first:]
    query = coarsest_query(request, levels[0], pyramid[0], inputs[0], gen)
    nnf = rev = None
    prev_key_grid: Shape3 | None = None
    prev_query_grid: Shape3 | None = None
    for n, level in enumerate(levels):
        if cancel is not None and cancel():
            raise Cancelled()
        t_pyr = time.perf_counter()
        if n == 0:
            keys = [pyramid[0]]
        else:
            query = resize(query, level.output)
            keys = [resize(pyramid[n - 1], level.source), pyramid[n]]
            pyramid.drop_below(n)  # the coarser source is not needed again
        query = inputs[n].constrain(query)
        key_grid = patch_grid(level.source, level.patch)
        query_grid = patch_grid(level.output, level.patch)
        init_rev = None
        if request.task == "inpaint":
            init = None  # the searched box changes between levels: no warm start
        elif nnf is not None and prev_key_grid is not None:
            # Also across a change of patch size (large levels): a patch corner moved by a
            # pixel is still a far better start than a random field.
            init = rescale_coords(nnf, prev_key_grid, query_grid, key_grid)
            if rev is not None and prev_query_grid is not None:
                init_rev = rescale_coords(rev, prev_query_grid, key_grid, query_grid)
        elif request.task == "retarget":
            init = identity_coords(query_grid, key_grid, device)
        else:
            init = None
        timings.add("pyramid", t_pyr)
        if level.large:
            # The supplementary's cheaper settings for huge levels, plus smaller descriptors and
            # no completeness search: the layout is settled by the coarser levels by then.
            opts = replace(opts, dims=min(opts.dims, settings.large_descriptor_dims),
                           completeness_alpha=None)
        box = inputs[n].region
        if box is None and inputs[n].keep is not None:
            pass  # nothing to fill at this level: the query is the source itself
        elif box is not None:
            part, _, _ = vpnn_layer(query[:, box[0], box[1], box[2]], keys, pyramid[n], level.patch,
                                    level.em_iters, opts=opts, generator=gen,
                                    key_mask=inputs[n].key_mask, cancel=cancel, timings=timings,
                                    constrain=inputs[n].constrain_box(box))
            query = query.clone()
            query[:, box[0], box[1], box[2]] = part
        else:
            query, nnf, rev = vpnn_layer(query, keys, pyramid[n], level.patch, level.em_iters,
                                         opts=opts, generator=gen, init=init, init_reverse=init_rev,
                                         key_mask=inputs[n].key_mask, cancel=cancel, timings=timings)
        query = inputs[n].constrain(query)
        prev_key_grid, prev_query_grid = key_grid, query_grid
        pyramid.drop_below(n)
        yield LevelResult(level=n + 1, levels=len(levels), frames=to_frames(query),
                          elapsed=time.perf_counter() - start, timings=dict(timings.values),
                          device=label, notes=list(notes))

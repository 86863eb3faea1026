"""The coarse-to-fine driver: a generator that yields the current output after every level.

The driver knows no task by name: the request's task (`engine.tasks`) says what the output
is, what it pins and adds at each level and how the coarsest query looks; the driver runs
the same VPNN layers for all of them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np
import torch

from engine.bars import Bars, output_bars
from engine.chunks import DEFAULT, Budgets
from engine.colour import to_frames, to_tensor
from engine.config import RETIME_MIN_FRAMES, Settings, Shape3, shrink_scale
from engine.copy_check import (
    COPY_BOOST,
    COPY_CHECK_LEVEL,
    COPY_FRACTION,
    COPY_RETRIES,
    band_shift,
    copy_fraction,
)
from engine.descriptors import patch_grid
from engine.device import device_label as _device_label
from engine.device import pick_device
from engine.errors import Cancelled, InputError
from engine.heap import keep_freed_buffers_on_workers, level_done
from engine.limits import check_noise, check_output_size
from engine.patchmatch import rescale_coords
from engine.pyramid import LazyPyramid, Level, Plan, plan_levels, resize, wrapped
from engine.realism import LAYOUT_FLAG_AT
from engine.request import SEAMS_BLENDED, LevelResult, Request
from engine.seams import blend_seams, seam_lines
from engine.surround import Surround, find_surround
from engine.tasks import Task, TaskContext, task_for
from engine.verdict import SEAMS_FLAG_AT
from engine.vpnn import SearchOptions, Timings, vpnn_layer

__all__ = ["run", "device_label", "output_shape", "to_tensor", "to_frames"]

COARSE_VOTE_OUTPUT = 4  # the coarse median vote's output, at most this many times its limit
SEAM_SIDE = 144  # short side (px) of the level whose faint seams the realism score reads


def device_label(settings: Settings | None = None) -> str:
    return _device_label(pick_device((settings or Settings()).device))


def output_shape(source: Shape3, request: Request, scale: float = 1.0) -> Shape3:
    """The output (T, H, W) for a (possibly downscaled) source: requested sizes are in the
    original's pixels, so they shrink by the same `scale` as the source did."""
    return task_for(request).output_shape(source, scale)


def _task_working_shape(task: Task, source: Shape3, settings: Settings) -> tuple[Shape3, float]:
    """working_shape for the output `task` makes (its size in the original's pixels)."""
    return working_shape(source, settings, task.output_shape(source, 1.0)[1:])


def _validate(frames: np.ndarray, request: Request) -> Task:
    task = task_for(request)
    if not isinstance(frames, np.ndarray) or frames.ndim != 4 or frames.shape[-1] != 3 \
            or frames.dtype != np.uint8 or min(frames.shape[:3]) < 1:
        got = (getattr(frames, "shape", None), getattr(frames, "dtype", type(frames).__name__))
        raise InputError(f"source frames must be (T, H, W, 3) uint8 with T, H, W >= 1, got {got}")
    for name in ("frames", "height", "width"):
        v = getattr(request, name)
        if v is not None and v < 1:
            raise InputError(f"output {name} must be at least 1, got {v}")
    if request.noise is not None:
        check_noise(request.noise)
    request.settings.validate()
    task.validate(frames)
    return task


def working_shape(source: Shape3, settings: Settings,
                  output: tuple[int, ...] = ()) -> tuple[Shape3, float]:
    """The (T, H, W) the engine works on after `max_side`, and the scale that took it there:
    the source's and the output's (H, W) (in the original's pixels) both fit max_side."""
    t, h, w = source
    scale = shrink_scale(settings.max_side, h, w, *output)
    if scale == 1.0:
        return (t, h, w), 1.0
    return (t, max(1, round(h * scale)), max(1, round(w * scale))), scale


def run(source: np.ndarray, request: Request, cancel: Callable[[], bool] | None = None, *,
        budgets: Budgets = DEFAULT) -> Iterator[LevelResult]:
    """Yield one LevelResult per pyramid level, coarse to fine; the last one is the output.

    `cancel()` is polled between PatchMatch iterations; when it returns True the generator
    raises `Cancelled`. Same source, request and device give identical frames, whatever the
    work `budgets` (how much is computed per tensor operation; they bound memory). Memory
    the CPU cannot give (PyTorch says so with a RuntimeError) is a MemoryError.
    """
    try:
        yield from _run(source, request, cancel, budgets)
    except RuntimeError as exc:
        if cpu_out_of_memory(exc):
            raise MemoryError("out of memory") from exc
        raise


def cpu_out_of_memory(exc: BaseException) -> bool:
    """PyTorch's CPU allocator failing ("DefaultCPUAllocator: can't allocate memory")."""
    text = str(exc)
    return "DefaultCPUAllocator" in text or "can't allocate memory" in text


# cuFFT, cuBLAS and cuDNN allocate their plans and workspaces outside PyTorch's caching
# allocator; running out there is a plain RuntimeError naming the library's status.
# (cuBLAS says NOT_INITIALIZED when its handle cannot get memory: a worker's first matrix
# product while another run fills the GPU.)
_GPU_ALLOC_FAILURES = ("CUFFT_ALLOC_FAILED", "CUBLAS_STATUS_ALLOC_FAILED", "CUDNN_STATUS_ALLOC_FAILED",
                       "CUDNN_STATUS_NOT_ENOUGH_WORKSPACE", "CUDA error: out of memory",
                       "CUBLAS_STATUS_NOT_INITIALIZED")


def gpu_out_of_memory(exc: BaseException) -> bool:
    """The GPU running out of memory, in PyTorch's allocator or in a CUDA library's own."""
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and any(s in str(exc) for s in _GPU_ALLOC_FAILURES)


def _stop_if(cancel: Callable[[], bool] | None) -> None:
    """Cancelled: asked between levels, and between the steps before the first one (a
    sketch's structure, the bars, the source's colours: seconds on a long Full-HD clip,
    where a cancel went unheard)."""
    if cancel is not None and cancel():
        raise Cancelled()


def _run(source: np.ndarray, request: Request, cancel: Callable[[], bool] | None,
         budgets: Budgets) -> Iterator[LevelResult]:
    _stop_if(cancel)
    task = _validate(source, request)
    _stop_if(cancel)
    settings = task.adjust(request.settings)
    device = pick_device(settings.device)
    work, scale = _task_working_shape(task, source.shape[:3], settings)
    # Caps before any work; the memory estimate is of this machine's RAM (CPU runs only).
    out_shape = task.output_shape(work, scale)
    check_output_size(work, out_shape, free_bytes=None if device.type == "cpu" else 1 << 62)
    keep_freed_buffers_on_workers(max(math.prod(work), math.prod(out_shape)))  # the editor's jobs
    if task.retimes and source.shape[0] == 1 and out_shape[0] > 1:
        yield from _held_still(source, request, out_shape[0], cancel, budgets)
        return
    bars = find_surround(source) if task.keeps_bars and settings.keep_edges else Bars()
    _stop_if(cancel)
    notes: list[str] = []
    if device.type != "cuda":
        yield from _run_on(device, task, settings, source, cancel, notes, budgets, bars)
        return
    # On a GPU out-of-memory: start again with work chunks an eighth of the size, then on
    # the CPU. Each restart yields from the coarsest level again. The budgets belong to
    # this run only, so a retry never shrinks another run's.
    said: list[str] = []  # the out-of-memory lines; each attempt's own notes start afresh
    for attempt in ("gpu", "small", "cpu"):
        if said:
            # Only now: the failed attempt's tensors (keys, fields, its pyramid) were held by
            # the exception's traceback until its handler ended, so emptying the cache there
            # gave none of them back.
            torch.cuda.empty_cache()
        notes = list(said)  # (a retry would say the first attempts' notes again)
        try:
            if attempt == "cpu":
                # The GPU run skipped the RAM estimate; the CPU's turn must not swap or die.
                try:
                    check_output_size(work, out_shape)
                except InputError as e:
                    raise InputError(f"the GPU ran out of memory, and on the CPU {e}") from None
                yield from _run_on(torch.device("cpu"), task, settings, source, cancel, notes, budgets, bars)
            else:
                use = budgets.smaller(8) if attempt == "small" else budgets
                yield from _run_on(device, task, settings, source, cancel, notes, use, bars)
            return
        except (torch.OutOfMemoryError, RuntimeError) as exc:
            if attempt == "cpu" or not gpu_out_of_memory(exc):
                raise
            said.append("the GPU ran out of memory: retrying with smaller work chunks"
                        if attempt == "gpu" else "the GPU ran out of memory again: finishing on the CPU")


def _held_still(source: np.ndarray, request: Request, frames: int,
                cancel: Callable[[], bool] | None, budgets: Budgets) -> Iterator[LevelResult]:
    """A still made longer: one variation of it, held for `frames` frames. With no motion to
    draw from, each frame was searched on its own and took a layout of its own (a strobe:
    3-20 grey levels from frame to frame)."""
    said = f"a one-frame clip has no motion: the {frames} output frames are one still, held"
    for r in run(source, replace(request, frames=1), cancel, budgets=budgets):
        yield replace(r, frames=np.repeat(r.frames, frames, axis=0),
                      final_voxels=r.final_voxels * frames, notes=[*r.notes, said])


def _fine_generator(device: torch.device, seed: int, gen: torch.Generator) -> torch.Generator:
    """The finer levels' generator: the device's own (their random fields are large), or on
    the CPU the coarse levels' one."""
    if device.type == "cpu":
        return gen
    if device.index is None:
        # torch.Generator(device="cuda").device reads `cuda` where the tensors read `cuda:0`:
        # patchmatch._draw saw two devices and drew every fine field into a temporary block.
        device = torch.device(device.type, torch.cuda.current_device())
    return torch.Generator(device=device).manual_seed(seed)


def _resize_looped(video: torch.Tensor, shape: Shape3, periods: tuple[int, int], *, budgets: Budgets,
                   cancel: Callable[[], bool] | None) -> torch.Tensor:
    """Resize a looped output (C, T, H, W), whose clip has periods[0] frames at this size,
    to `shape` with periods[1]: pass by pass, so the loop points land on the finer level's
    (a resize of the whole length put them between frames there, a frame that blended the
    clip's end and start, region by region)."""
    old_p, new_p = periods
    if old_p == new_p and video.shape[1] == shape[0]:
        return resize(video, shape, budgets=budgets, cancel=cancel)
    passes = -(-shape[0] // new_p)
    # Each pass a whole clip long; where a last, partial one runs out, the frames at the same
    # moment one pass (or more) earlier: the passes hold one layout.
    frames = torch.arange(passes * old_p, device=video.device)
    over = (frames - (video.shape[1] - 1)).clamp(min=0)
    frames = (frames - old_p * ((over + old_p - 1) // old_p)).clamp(min=0)
    whole = video.index_select(1, frames)
    parts = [resize(whole[:, i * old_p:(i + 1) * old_p], (new_p, *shape[1:]), budgets=budgets, cancel=cancel)
             for i in range(passes)]
    return torch.cat(parts, 1)[:, :shape[0]].contiguous()


def seam_level_of(levels: list[Level]) -> int:
    """The level whose output the seam measure reads: the first at least SEAM_SIDE pixels on
    its short side, or the last."""
    for n, level in enumerate(levels):
        if min(level.output[1:]) >= SEAM_SIDE:
            return n
    return len(levels) - 1


def _blends(mode: str, seams: float | None) -> bool:
    """Whether the finished output's seams are blended (Settings.blend_seams): always ("on"),
    or ("auto") where the run's seam measure would flag them in the realism score."""
    return mode == "on" or (mode == "auto" and seams is not None and seams > SEAMS_FLAG_AT)


def coarse_vote(level: Level, limit: int) -> bool:
    """Whether `level` votes with the paper's median of every covering patch (Settings.
    coarse_vote_voxels): a coarse source, and an output at most COARSE_VOTE_OUTPUT times
    the limit. That vote costs about 30x the lattice's per output voxel, so a level whose
    output is far larger than its source (Draft of a 3000-px output reads the input at
    27x15) spent 64 s of a 77 s run in it; a generate's output is its source's size, and a
    retarget to twice the width and twice the frames still passes."""
    return math.prod(level.source) <= limit and math.prod(level.output) <= COARSE_VOTE_OUTPUT * limit


def _framed(result: LevelResult, frame: tuple[Surround, tuple[int, int]] | None) -> LevelResult:
    """A result of the picture inside the source's bars or blurred sides, with them put
    back (the sides made again from the result's picture)."""
    if frame is None:
        return result
    return replace(result, frames=frame[0].around(result.frames, frame[1]))


def _run_on(device: torch.device, task: Task, settings: Settings, source: np.ndarray,
            cancel: Callable[[], bool] | None, notes: list[str], budgets: Budgets,
            bars: Surround) -> Iterator[LevelResult]:
    request = task.request
    start = time.perf_counter()
    timings = Timings(sync=device.type == "cuda", device=device)
    label = _device_label(device)
    # The noise and the coarse levels' searches, which settle a seed's layout (and which the
    # redraw test reads), draw from a CPU generator on every device: CUDA's random numbers
    # are other numbers, and a seed should give the same variation on a GPU as on the CPU.
    # The finer levels draw on the device, where their large tensors live. On the CPU the
    # two are one generator, so CPU results are what they were.
    seed = int(request.seed) & 0xFFFF_FFFF_FFFF
    gen = torch.Generator(device="cpu").manual_seed(seed)
    fine_gen = _fine_generator(device, seed, gen)

    x = to_tensor(source, device, cancel)
    small, scale = _task_working_shape(task, source.shape[:3], settings)
    out_shape = task.output_shape(small, scale)
    if scale != 1.0:
        _, h, w = source.shape[:3]
        whose = "its" if max(small[1:]) >= settings.max_side - 1 else "the output's"
        notes.append(f"input downscaled from {w}x{h} to {small[2]}x{small[1]}: {whose} longest "
                     f"side at most {settings.max_side} px")
    # The picture inside the source's black bars or blurred sides is what is made
    # (engine/surround.py), cut out before any downscale, whose filter would carry the bars'
    # black into its edge; the output's bars or sides, as thick in proportion, go back
    # around every level's frames.
    frame: tuple[Surround, tuple[int, int]] | None = None
    inside = bars.scaled(small[1] / source.shape[1], small[2] / source.shape[2])
    around = output_bars(inside, small[1:], out_shape[1:]) if inside else None
    if around:
        x = x[(slice(None), slice(None), *bars.window(*source.shape[1:3]))].contiguous()
        small = (small[0], *inside.inner(*small[1:]))
        out_shape = (out_shape[0], *around.inner(*out_shape[1:]))
        frame = (around, out_shape[1:])
        notes.append(around.note())  # (in the output's pixels)
    if tuple(x.shape[1:]) != small:
        x = resize(x, small, budgets=budgets, cancel=cancel)
    src_shape: Shape3 = tuple(x.shape[1:])  # type: ignore[assignment]
    noise_frames = None
    if task.retimes and out_shape[0] != src_shape[0]:
        # Another duration is drawn where the clip still has distinct moments (Task.retimes),
        # with the noise of a run of the source's own duration (TaskContext.noise_frames).
        noise_frames = plan_levels(src_shape, src_shape, settings).levels[0].source[0]
        settings = settings.with_(min_frames=max(settings.min_frames, RETIME_MIN_FRAMES))
    plan: Plan = plan_levels(src_shape, out_shape, settings)
    # A longer output is drawn from the clip looped in time (Task.coarsest_query). Its keys
    # and values are the clip followed by its own first frames, so that the patches across
    # the loop point (the last frames, then the first) exist: without them nothing matched
    # there, and the votes of patches from either side cross-dissolved the two moments over
    # several frames (translucent, half-gone balloons). The loop point is now a clean cut.
    looped = task.retimes and out_shape[0] > src_shape[0]
    notes.extend(n for n in plan.notes if n not in notes)
    ctx = TaskContext(request=request, settings=settings, device=device, levels=plan.levels,
                      pyramid=LazyPyramid(x, plan.levels, budgets=budgets, cancel=cancel),
                      scale=scale, budgets=budgets, cancel=cancel, notes=notes,
                      noise_frames=noise_frames, looped=looped)
    setups = task.setups(ctx)
    first = next(i for i, s in enumerate(setups) if s is not None)
    if first:
        ctx.levels, ctx.pyramid, setups = ctx.levels[first:], ctx.pyramid.skip(first), setups[first:]
    levels, pyramid = ctx.levels, ctx.pyramid
    plan_costs = tuple((max(math.prod(lv.source), math.prod(lv.output)), lv.em_iters) for lv in levels)
    timings.add("pyramid", start)

    opts = SearchOptions(dims=settings.descriptor_dims, final_dims=settings.final_descriptor_dims,
                         completeness_alpha=settings.completeness_alpha,
                         cold_rounds=settings.pm_rounds, vote_stride=settings.vote_stride,
                         reduce=settings.vote)
    # "Keep subjects whole": completeness where the layout is drawn, the coarsest frame size.
    keep_whole = settings.coarse_completeness_alpha if task.keeps_whole else None
    # A seed whose noise leaves it on the input's own layout (in place or shifted) is no
    # variation, and one whose noise cut a band of the scene (sky into the ground) is
    # broken. Both show by the third level run (engine/copy_check.py), so the first levels
    # are held back, checked, and run again from a new draw of the noise; deterministic
    # per seed.
    layout_levels = min(COPY_CHECK_LEVEL, len(levels) - 1)  # drawn on the CPU's generator
    check_at = None
    if task.redraws_copies and task.noise(ctx) > 0:
        check_at = layout_levels
    held: list[LevelResult] = []
    attempt = copies = 0
    best: tuple[float, tuple] | None = None
    query = task.coarsest_query(ctx, setups[0], gen)  # type: ignore[arg-type]
    nnf = rev = None
    nnf_level: Level | None = None  # the level whose search made `nnf`
    # The output's faint seams (the realism score's seam term), measured on the first level
    # at least SEAM_SIDE pixels high (or the last), so that a Full-HD run's figure reads as a
    # 144p run's: at full size the large levels' many short seams in cloud texture, too
    # small to see, would count too. Blend seams, on the last level, scales it by the share
    # of the seam edges it leaves there.
    seam_level = seam_level_of(levels) if task.blends_seams else len(levels)
    seams: float | None = None
    n = 0
    while n < len(levels):
        level = levels[n]
        _stop_if(cancel)
        setup = setups[n]
        assert setup is not None
        t_pyr = time.perf_counter()
        wrap = level.patch[0] - 1 if looped else 0
        value = wrapped(pyramid[n], wrap)
        if n == 0:
            keys = [value]
        else:
            if looped:
                query = _resize_looped(query, level.output, (levels[n - 1].source[0], level.source[0]),
                                       budgets=budgets, cancel=cancel)
            else:
                query = resize(query, level.output, budgets=budgets, cancel=cancel)
            keys = [wrapped(resize(pyramid[n - 1], level.source, budgets=budgets, cancel=cancel), wrap),
                    value]
            pyramid.drop_below(n)  # the coarser source is not needed again
        clip_frames = level.source[0]  # the clip's own, before the wrap
        if wrap:
            level = replace(level, source=(clip_frames + wrap, *level.source[1:]))
        query = setup.constrain(query)
        key_grid = patch_grid(level.source, level.patch)
        query_grid = patch_grid(level.output, level.patch)
        init = init_rev = None
        if task.warm_start and nnf is not None and nnf_level is not None:
            # Also across a change of patch size (large levels): a patch corner moved by a
            # pixel is still a far better start than a random field.
            prev = nnf_level
            period = (prev.source[0] - prev.patch[0] + 1, clip_frames) if looped else None
            init = rescale_coords(nnf, prev.output, prev.source, prev.patch, level.output,
                                  level.source, level.patch, period)
            if rev is not None:
                init_rev = rescale_coords(rev, prev.source, prev.output, prev.patch, level.source,
                                          level.output, level.patch)
        elif n == 0:
            init = task.first_field(query_grid, key_grid, device, clip_frames)
        timings.add("pyramid", t_pyr)
        if level.large:
            # The supplementary's cheaper settings for huge levels, plus smaller descriptors and
            # no completeness search: the layout is settled by the coarser levels by then.
            opts = replace(opts, dims=min(opts.dims, settings.large_descriptor_dims),
                           completeness_alpha=None)
        level_opts = opts
        fine = settings.fine_descriptor_dims
        if level.fine and fine is not None:
            level_opts = replace(opts, dims=min(opts.dims, fine), final_dims=max(opts.dims, opts.final_dims or 0))
        if coarse_vote(levels[n], settings.coarse_vote_voxels):
            level_opts = replace(level_opts, reduce="median", vote_stride=1)
        if keep_whole is not None and level.source[1:] == levels[0].source[1:] and not level.large:
            level_opts = replace(level_opts, completeness_alpha=keep_whole)
        layer = dict(opts=level_opts, generator=gen if n <= layout_levels else fine_gen,
                     key_mask=setup.key_mask, key_cost=setup.key_cost, cancel=cancel,
                     timings=timings, budgets=budgets, colour_weight=setup.colour_weight)
        box = setup.region
        unblended: torch.Tensor | None = None  # the last level's output before a seam blend
        level_notes: list[str] = []
        if setup.settled:
            pass  # nothing to fill at this level: the query is the source itself
        elif box is not None:
            qg = setup.query_guide[:, box[0], box[1], box[2]] if setup.query_guide is not None else None
            part, _, _ = vpnn_layer(query[:, box[0], box[1], box[2]], keys, value, level.patch,
                                    level.em_iters, constrain=setup.constrain_box(box),
                                    query_guide=qg, key_guide=setup.key_guide, **layer)
            query = query.clone()
            query[:, box[0], box[1], box[2]] = part
        else:
            # `keys` itself, not a copy: the layer empties it once the keys are described,
            # which frees the rescaled coarser source (about 400 MB on a Full-HD level).
            query, nnf, rev = vpnn_layer(query, keys, value, level.patch, level.em_iters,
                                         init=init, init_reverse=init_rev,
                                         query_guide=setup.query_guide, key_guide=setup.key_guide,
                                         loop=clip_frames if wrap else None, **layer)
            nnf_level = level
            if n == seam_level:
                seams = seam_lines(query, value, nnf, level.patch, cancel)
            if n == len(levels) - 1 and task.blends_seams and _blends(settings.blend_seams, seams):
                unblended = query
                query, left = blend_seams(query, value, nnf, level.patch, cancel)
                # What the blend left of the seams it found at full size, read on the
                # measure taken on its level (the same one at 144p).
                seams = None if seams is None else seams * left
                if settings.blend_seams == "auto":
                    # This draw's own note: a tiny run checks its last level for a redraw,
                    # and a draw thrown away was not blended.
                    level_notes.append(SEAMS_BLENDED)
        query = setup.constrain(query)
        pyramid.drop_below(n)
        level_done()
        result = LevelResult(level=n + 1, levels=len(levels), frames=to_frames(query),
                             elapsed=time.perf_counter() - start, timings=dict(timings.values),
                             device=label, notes=[*notes, *level_notes],
                             final_voxels=math.prod(levels[-1].output), plan=plan_costs,
                             seams=seams if n >= seam_level else None)
        if check_at is None or n > check_at:
            yield _framed(result, frame)
            n += 1
            continue
        held.append(result)
        why, badness = None, 0.0
        copied = False
        if n == check_at and nnf is not None:
            copied = copy_fraction(nnf, query_grid, key_grid,
                                   period=clip_frames if looped else None) > COPY_FRACTION
        if copied:
            why, badness = "the noise reproduced the input", LAYOUT_FLAG_AT
        elif (shift := band_shift(to_frames(pyramid[n]), result.frames if unblended is None
                                  else to_frames(setup.constrain(unblended)))) > LAYOUT_FLAG_AT:
            # (read on the frames as drawn: a blend must not change which draw is kept)
            why, badness = "the noise cut a band of the scene, sky into the ground", shift
        if why is not None:
            # The least bad draw so far, kept in case every draw fails: a copy ranks as a
            # cut at the flag (a clean picture, though not new, beats a broken one); ties
            # go to the later draw, which has the stronger noise.
            if best is None or badness <= best[0]:
                best = (badness, (n, list(held), query, nnf, rev, nnf_level, seams))
            if attempt < COPY_RETRIES:
                # Copies grow the noise from their second redraw on; a cut goes back to
                # the clip's own sigma (a cut is bad luck or too much noise, never too
                # little).
                boost = COPY_BOOST ** copies if copied else 1.0
                copies += copied
                attempt += 1
                notes.append(f"{why}; drawn again")
                held.clear()
                query = task.coarsest_query(ctx, setups[0], gen, boost=boost)  # type: ignore[arg-type]
                nnf = rev = nnf_level = seams = None
                n = 0
                continue
            n, held, query, nnf, rev, nnf_level, seams = best[1]
            notes.append("every draw was a copy of the input or cut a band; kept the least bad")
        if why is not None or n == check_at:
            check_at = None  # settled: the held levels go out, the rest run unchecked
            yield from (_framed(r, frame) for r in held)
            held.clear()
        n += 1

import subprocess
import sys
import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from engine.config import Settings
from engine.errors import Cancelled, InputError
from engine.request import Request
from engine.run import run
from tests.synth import final, moving_texture


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))


def test_generator_yields_each_level_coarse_to_fine():
    clip = moving_texture(8, 40, 56)
    results = list(run(clip, Request(seed=1)))
    assert len(results) >= 2
    assert [r.level for r in results] == list(range(1, results[0].levels + 1))
    assert results[-1].final and results[-1].frames.shape == clip.shape
    sizes = [r.frames.shape[1] * r.frames.shape[2] for r in results]
    assert sizes == sorted(sizes)
    assert all(r.frames.dtype == np.uint8 for r in results)
    assert results[-1].elapsed >= results[0].elapsed > 0


def test_same_seed_same_output_and_seeds_differ():
    clip = moving_texture(6, 36, 48)
    a = final(clip, Request(seed=3)).frames
    b = final(clip, Request(seed=3)).frames
    c = final(clip, Request(seed=4)).frames
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_retarget_same_size_reconstructs_input():
    clip = moving_texture(8, 40, 56, seed=2)
    out = final(clip, Request(task="retarget")).frames
    assert psnr(out, clip) >= 35


@pytest.mark.parametrize("size", [dict(width=80), dict(height=30, width=40), dict(frames=12), dict(frames=5, width=70),
                                  # Smaller than a patch (3x7x7): one still frame, a strip.
                                  dict(frames=1), dict(frames=2, height=5), dict(width=4)])
def test_output_shape_follows_request(size):
    clip = moving_texture(8, 40, 56)
    res = final(clip, Request(task="retarget", **size))
    t = size.get("frames", 8)
    h = size.get("height", 40)
    w = size.get("width", 56)
    assert res.frames.shape == (t, h, w, 3)


def test_single_image_and_two_frames_work():
    img = moving_texture(1, 48, 64)
    res = final(img, Request(seed=0))
    assert res.frames.shape == img.shape
    assert any("patches span" in n for n in res.notes)
    two = final(moving_texture(2, 30, 40), Request(seed=0))
    assert two.frames.shape == (2, 30, 40, 3)


@pytest.mark.parametrize("task, noise", [("generate", None), ("retarget", 3.0)])
def test_a_still_made_longer_is_one_variation_held(task, noise):
    """A photo made 6 frames long: the variation of its one frame, held (each frame was
    searched on its own and took a layout of its own: a strobe)."""
    img = moving_texture(1, 48, 64)
    levels = list(run(img, Request(task=task, frames=6, seed=1, noise=noise)))
    out, one = levels[-1].frames, final(img, Request(task=task, frames=1, seed=1, noise=noise)).frames
    assert out.shape == (6, 48, 64, 3) and all(np.array_equal(f, one[0]) for f in out)
    assert all(len(r.frames) == 6 for r in levels) and levels[-1].final_voxels == 6 * 48 * 64
    assert "the 6 output frames are one still, held" in levels[-1].notes[-1]


@pytest.mark.parametrize("a, b, out", [
    ((16, 1080, 1920), (13, 144, 256), (16, 180, 320)),  # a large A: the output sets the scale
    ((13, 256, 456), (16, 1080, 1920), (13, 43, 76)),  # a large B: B does, patches keep size
    ((13, 144, 256), (13, 144, 256), (13, 144, 256)),  # both fit: nothing shrinks
])
def test_draft_analogy_fits_b_and_the_output_by_one_scale(a, b, out):
    """Draft's 320 px bound the look clip B and the output (A's size) alike, so a Draft
    analogy with a Full-HD clip A is a quick 320 px look, not a Full-HD run; the editor's
    size check (app engine_shapes) sees the shapes the engine will work on."""
    from app.state.request_builder import engine_shapes
    from engine.config import preset
    from engine.run import output_shape, working_shape

    request = Request(task="analogy", guide=np.zeros((*a, 3), np.uint8), height=a[1],
                      width=a[2], settings=preset("draft"))
    work, scale = working_shape(b, request.settings, output_shape(b, request)[1:])
    assert output_shape(work, request, scale) == out
    assert engine_shapes(replace(request, frames=a[0]), b) == (work, out)


def test_max_side_downscales_input_and_output():
    """One scale for both, so that the longer of the two fits: an output wider than the
    input sets it (120 px in 40: a third), a narrower one leaves it to the input."""
    clip = moving_texture(6, 40, 80)
    res = final(clip, Request(width=120, settings=Settings(max_side=40)))
    assert res.frames.shape == (6, 13, 40, 3)
    assert any("downscaled from 80x40 to 27x13: the output's longest side at most 40 px" in n
               for n in res.notes)
    res = final(clip, Request(width=60, settings=Settings(max_side=40)))
    assert res.frames.shape == (6, 20, 30, 3)
    assert any("downscaled from 80x40 to 40x20: its longest side at most 40 px" in n for n in res.notes)


def test_cancel_stops_quickly():
    clip = moving_texture(10, 72, 96)
    flag = threading.Event()
    gen = run(clip, Request(seed=0), flag.is_set)
    next(gen)
    t0 = time.perf_counter()
    timer = threading.Timer(0.05, flag.set)
    timer.start()
    with pytest.raises(Cancelled):
        for _ in gen:
            pass
    assert time.perf_counter() - t0 - 0.05 < 0.5


def _recording(real, name: str, called: list[str]):
    def spy(*args, **kw):
        called.append(name)
        return real(*args, **kw)
    return spy


def test_a_cancel_before_the_first_level_is_heard_at_each_step_before_it(monkeypatch):
    """The steps before the first level (the task's checks, the bars, the colours) take
    seconds on a long Full-HD clip and asked nothing: a cancelled sketch run went on to the
    next, and the next."""
    import engine.run as run_module

    clip = moving_texture(6, 32, 48)
    steps = ("_validate", "find_surround", "to_tensor", "plan_levels")
    for at in steps[:-1]:
        called: list[str] = []
        for step in steps:
            monkeypatch.setattr(run_module, step, _recording(getattr(run_module, step), step, called))
        with pytest.raises(Cancelled):
            next(run(clip, Request(seed=0), lambda _at=at, _called=called: _at in _called))
        assert called == list(steps[: steps.index(at) + 1]), at  # nothing after it ran
        monkeypatch.undo()


@pytest.mark.parametrize(
    "request_, message",
    [
        (Request(task="nope"), "unknown task"),
        (Request(width=0), "at least 1"),
        (Request(task="inpaint"), "mask"),
    ],
)
def test_bad_requests_are_clear(request_, message):
    with pytest.raises(InputError, match=message):
        final(moving_texture(4, 20, 20), request_)


def test_engine_imports_no_qt():
    code = ("import sys, engine, engine.run, engine.io, engine.cli, engine.bench, engine.metrics, engine.tasks;"
            "bad=[m for m in sys.modules if m.startswith(('PySide6','PyQt','pyqtgraph','shiboken'))];"
            "sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_small_work_chunks_give_identical_output():
    from engine import chunks

    clip = moving_texture(6, 36, 48)
    normal = final(clip, Request(seed=5)).frames
    tiny_budgets = chunks.DEFAULT.smaller(1 << 20)
    assert tiny_budgets.vote_bytes == 1 << 12
    tiny = list(run(clip, Request(seed=5), budgets=tiny_budgets))[-1].frames
    assert np.array_equal(normal, tiny)
    assert chunks.DEFAULT == chunks.Budgets()  # a run never changes the shared defaults


@pytest.mark.parametrize(
    "request_, message",
    [
        (Request(noise=float("nan")), "noise"),
        (Request(noise=float("inf")), "noise"),
        (Request(noise=-1.0), "noise"),
        (Request(settings=Settings(em_iters=0)), "em_iters"),
        (Request(settings=Settings(patch_size=(3, 0, 7))), "patch_size"),
        (Request(settings=Settings(spatial_factor=1.5)), "spatial_factor"),
        (Request(settings=Settings(vote="mode")), "vote"),
    ],
)
def test_bad_settings_are_clear(request_, message):
    with pytest.raises(InputError, match=message):
        final(moving_texture(4, 20, 20), request_)


def test_inpaint_with_max_side_fills_the_downscaled_clip():
    """The library (not only the app and CLI) can inpaint a downscaled clip: the mask
    follows the source down the pyramid."""
    clip = moving_texture(6, 40, 80)
    mask = np.zeros(clip.shape[:3], bool)
    mask[:, 12:24, 30:44] = True
    res = final(clip, Request(task="inpaint", mask=mask, settings=Settings(max_side=40)))
    assert res.frames.shape == (6, 20, 40, 3)


def test_guide_channels_steer_the_search():
    """A guide channel beside Q and K (colour weight 0) decides which key each query takes:
    a query guided to the right half of the key video copies the right half."""
    import torch

    from engine.patchmatch import KeyTable
    from engine.vpnn import SearchOptions, vpnn_layer

    g = torch.Generator().manual_seed(0)
    value = torch.rand(3, 5, 20, 40, generator=g) * 2 - 1
    key_guide = torch.zeros(1, 5, 20, 40)
    key_guide[:, :, :, 20:] = 4.0
    query = torch.zeros(3, 5, 20, 20)
    query_guide = torch.full((1, 5, 20, 20), 4.0)
    _, coords, _ = vpnn_layer(query, [value], value, (3, 5, 5), 2, opts=SearchOptions(completeness_alpha=None),
                              generator=g, query_guide=query_guide, key_guide=key_guide, colour_weight=0.0)
    x = coords[2]
    assert int(x.min()) >= 20  # every match's patch lies in the right half
    assert KeyTable  # imported for the grid helpers the layer uses


def test_two_runs_at_once_keep_their_own_budgets():
    """A run with shrunken budgets (as after a CUDA out-of-memory) beside a normal one: both
    finish with the same frames as alone, and the shared defaults never change."""
    from engine import chunks

    clip = moving_texture(6, 36, 48)
    alone = final(clip, Request(seed=2)).frames
    a = run(clip, Request(seed=2), budgets=chunks.DEFAULT.smaller(64))
    b = run(clip, Request(seed=2))
    outs = {}
    for name, gen in zip("ab", (a, b), strict=True):
        outs[name] = next(gen)
    for name, gen in (("a", a), ("b", b)):
        for res in gen:
            outs[name] = res
    assert np.array_equal(outs["a"].frames, alone) and np.array_equal(outs["b"].frames, alone)
    assert chunks.DEFAULT == chunks.Budgets()


def test_absurd_output_sizes_are_refused_before_any_work():
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="limit"):
        next(run(moving_texture(4, 20, 20), Request(width=100_000)))
    assert time.perf_counter() - t0 < 1.0


def test_no_seed_is_a_copy_of_the_input():
    """A small clip's first levels can settle back on the input's own layout; such a seed is
    drawn again, with stronger noise if it keeps copying (engine/run.py), so every seed is a
    variation; the levels held back for the check are yielded once, in order. And
    duplicate pyramid levels (same shapes after rounding) are not run twice."""
    from engine.pyramid import plan_levels
    from tests.test_app_support import moving_texture as tiny_texture

    clip = tiny_texture()
    shapes = [(lv.source, lv.output) for lv in plan_levels(clip.shape[:3], clip.shape[:3], Settings()).levels]
    assert len(shapes) == len(set(shapes))
    outs = [final(clip, Request(seed=k)) for k in range(5, 9)]
    levels = [r.level for r in run(clip, Request(seed=7))]
    assert levels == list(range(1, levels[-1] + 1))
    assert all(not np.array_equal(o.frames, clip) for o in outs)
    assert any("drawn again" in note for o in outs for note in o.notes)
    again = final(clip, Request(seed=5))
    assert np.array_equal(again.frames, outs[0].frames)  # still reproducible


@pytest.mark.parametrize(("fractions", "redraws", "checks"),
                         [([1.0, 0.6], 1, 2), ([0.8], 0, 1), ([0.99] * 12, 8, 9)])
def test_copy_check_at_the_third_level(monkeypatch, fractions, redraws, checks):
    """The copy test runs once per attempt, on the third level's matches; above 0.85 the
    seed starts again from the coarsest (at most COPY_RETRIES times; when every draw is a
    copy the last is kept), and the consumer sees every level once, in order, from the kept
    attempt."""
    import engine.run as engine_run

    calls = []

    def fake(nnf, query_grid, key_grid, period=None):
        calls.append(tuple(query_grid))
        return fractions[min(len(calls), len(fractions)) - 1]

    monkeypatch.setattr(engine_run, "copy_fraction", fake)
    results = list(run(moving_texture(8, 40, 56), Request(seed=2)))
    assert [r.level for r in results] == list(range(1, results[0].levels + 1))
    assert len(calls) == checks and len(set(calls)) == 1
    assert sum("drawn again" in n for n in results[-1].notes) == redraws


def test_coarse_levels_vote_with_the_papers_median(monkeypatch):
    """Levels up to `coarse_vote_voxels` take the per-channel median of all covering
    patches (stride 1); larger ones the configured vote; 0 switches it off."""
    import engine.vpnn as vpnn

    seen = []
    real = vpnn.vote

    def spy(value, coords, patch, **kw):
        seen.append((value[0].numel(), kw["reduce"], kw["stride"]))
        return real(value, coords, patch, **kw)

    monkeypatch.setattr(vpnn, "vote", spy)
    clip = moving_texture(8, 40, 56)
    limit = 4_000
    final(clip, Request(seed=1, settings=Settings(coarse_vote_voxels=limit)))
    assert {(r, s) for n, r, s in seen if n <= limit} == {("median", 1)}
    assert {(r, s) for n, r, s in seen if n > limit} == {("luma", 3)}
    seen.clear()
    final(clip, Request(seed=1, settings=Settings(coarse_vote_voxels=0)))
    assert {(r, s) for _, r, s in seen} == {("luma", 3)}


def test_the_coarse_median_vote_stops_where_the_output_is_far_larger_than_its_source(monkeypatch):
    """The median of every covering patch costs ~30x the lattice vote per output voxel: a
    level with a coarse source but an output over COARSE_VOTE_OUTPUT times the limit (a
    Draft of a 3000-px output read the input at 27x15 and spent 64 s of 77 there) takes
    the configured vote; a retarget of up to that many times the source keeps the median."""
    import engine.vpnn as vpnn
    from engine.run import COARSE_VOTE_OUTPUT

    seen = []
    real = vpnn.vote

    def spy(value, coords, patch, **kw):
        out = real(value, coords, patch, **kw)
        seen.append((value[0].numel(), out[0].numel(), kw["reduce"]))
        return out

    monkeypatch.setattr(vpnn, "vote", spy)
    limit = 4_000
    settings = Settings(coarse_vote_voxels=limit)
    final(moving_texture(8, 40, 56), Request(task="retarget", width=336, seed=1, settings=settings))
    coarse = [(o, r) for n, o, r in seen if n <= limit]
    assert {r for o, r in coarse if o <= COARSE_VOTE_OUTPUT * limit} == {"median"}
    assert {r for o, r in coarse if o > COARSE_VOTE_OUTPUT * limit} == {"luma"}
    seen.clear()
    final(moving_texture(8, 40, 56), Request(task="retarget", width=112, seed=1, settings=settings))
    assert {r for n, o, r in seen if n <= limit} == {"median"}  # twice as wide: as before


def test_a_band_cut_is_drawn_again_with_the_same_noise(monkeypatch):
    """At any level up to the copy test's, a seed whose layout cuts a band (engine.realism's
    layout term) is drawn again at once, keeping its sigma (a copy's second redraw grows it); the note
    says why, and a seed that is neither runs as before."""
    import engine.run as engine_run
    from engine.tasks.base import Task

    clip = moving_texture(8, 40, 56)
    monkeypatch.setattr(engine_run, "copy_fraction", lambda *a, **k: 0.0)
    monkeypatch.setattr(engine_run, "band_shift", lambda src, out: 0.0)
    plain = final(clip, Request(seed=4))
    cuts, boosts = [20.0], []
    monkeypatch.setattr(engine_run, "band_shift", lambda src, out: cuts.pop(0) if cuts else 0.0)
    real = Task.coarsest_query

    def spy(self, ctx, setup, generator, boost=1.0):
        boosts.append(boost)
        return real(self, ctx, setup, generator, boost)

    monkeypatch.setattr(Task, "coarsest_query", spy)
    out = final(clip, Request(seed=4))
    assert boosts == [1.0, 1.0]
    assert sum("cut a band" in n for n in out.notes) == 1
    assert not np.array_equal(out.frames, plain.frames)  # a new draw
    monkeypatch.setattr(engine_run, "band_shift", lambda src, out: 0.0)
    assert np.array_equal(final(clip, Request(seed=4)).frames, plain.frames)


def test_when_every_draw_fails_the_least_bad_is_kept(monkeypatch):
    """After COPY_RETRIES redraws that all cut a band, the run goes on from the draw with
    the smallest cut (not from the last one), and the note says so."""
    import engine.run as engine_run
    from engine.copy_check import COPY_RETRIES

    clip = moving_texture(8, 40, 56)
    monkeypatch.setattr(engine_run, "copy_fraction", lambda *a, **k: 0.0)
    shifts = [20.0]
    monkeypatch.setattr(engine_run, "band_shift", lambda src, out: shifts.pop(0) if shifts else 0.0)
    second = list(run(clip, Request(seed=4)))  # the second draw, accepted
    # The second draw is cut least of all.
    shifts = [20.0, 9.0] + [30.0] * COPY_RETRIES
    kept = list(run(clip, Request(seed=4)))
    assert [r.level for r in kept] == list(range(1, kept[0].levels + 1))
    assert np.array_equal(kept[0].frames, second[0].frames)
    assert sum("drawn again" in n for n in kept[-1].notes) == COPY_RETRIES
    assert "kept the least bad" in kept[-1].notes[-1]


def test_band_cut_reads_the_layout():
    """band_cut is the realism score's layout term over its flag: a clip against itself is
    not cut, the clip upside down is."""
    from engine.copy_check import band_cut
    from tests.synth import balloon_scene

    clip = balloon_scene(t=6, h=48, w=80)
    assert not band_cut(clip, clip)
    assert band_cut(clip, clip[:, ::-1].copy())


def test_a_seed_keeps_its_layout_when_the_fine_levels_draw_other_numbers(monkeypatch):
    """The noise and the first three levels draw from the CPU's generator on every device,
    the finer levels from the device's own (other numbers on a GPU): a seed's variation is
    then settled before the device's numbers come in. Here the fine levels get another
    stream, as on a GPU; the result stays the same variation (far closer to it than to
    another seed)."""
    import torch

    import engine.run as engine_run
    from tests.synth import balloon_scene

    clip = balloon_scene(t=6, h=48, w=80)
    base = [final(clip, Request(seed=s)).frames.astype(np.float32) for s in (0, 1)]
    monkeypatch.setattr(engine_run, "_fine_generator",
                        lambda device, seed, gen: torch.Generator().manual_seed(seed + 987_654))
    other = final(clip, Request(seed=0)).frames.astype(np.float32)
    assert np.abs(other - base[0]).mean() < 0.25 * np.abs(base[1] - base[0]).mean()


def test_large_levels_let_go_of_what_they_no_longer_need(monkeypatch):
    """Memory at Full-HD: once a layer has described its keys, neither it nor the driver
    keeps the rescaled coarser source alive through the search, and the last vote runs
    without the key table (about 0.4 and 0.9 GB on a Full-HD level)."""
    import weakref

    import engine.run as run_mod
    import engine.vpnn as vpnn_mod

    keys_refs: list[weakref.ref] = []
    tables: list[weakref.ref] = []
    alive_in_search: list[bool] = []
    alive_in_vote: list[bool] = []
    real_layer, real_pm, real_vote, real_table = (run_mod.vpnn_layer, vpnn_mod.patchmatch,
                                                   vpnn_mod.vote, vpnn_mod.KeyTable)

    def layer(query, keys, value, *a, **k):
        keys_refs.append(weakref.ref(keys[0]) if keys[0] is not value else None)
        tables.clear()
        return real_layer(query, keys, value, *a, **k)

    def pm(*a, **k):
        if keys_refs[-1] is not None:
            alive_in_search.append(keys_refs[-1]() is not None)
        return real_pm(*a, **k)

    def vote(*a, **k):
        alive_in_vote.append(any(r() is not None for r in tables))
        return real_vote(*a, **k)

    class Table(real_table):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            tables.append(weakref.ref(self))

    monkeypatch.setattr(run_mod, "vpnn_layer", layer)
    monkeypatch.setattr(vpnn_mod, "patchmatch", pm)
    monkeypatch.setattr(vpnn_mod, "vote", vote)
    monkeypatch.setattr(vpnn_mod, "KeyTable", Table)
    # Every level "large": one EM iteration each, as on Full-HD.
    settings = Settings().with_(large_voxels=1, noise_scale=0.0)
    final(moving_texture(t=6, h=32, w=40), Request(seed=0, settings=settings))
    assert alive_in_search and not any(alive_in_search)
    assert alive_in_vote and not any(alive_in_vote)


def _gpu_that_runs_out(monkeypatch, free: int, error: Exception | None = None) -> list[str]:
    """A run that believes it is on a GPU whose every attempt runs out of memory (raising
    `error`, PyTorch's own by default); returns the devices its attempts ran on."""
    import torch

    import engine.limits
    import engine.run as engine_run

    tried: list[str] = []

    def fake_run_on(device, task, settings, source, cancel, notes, budgets, bars):
        tried.append(device.type)
        notes.append("a note of this attempt")  # as a level says "input downscaled ..."
        if device.type == "cuda":
            raise error or torch.OutOfMemoryError("CUDA out of memory (simulated)")
        yield f"done on the CPU, saying {notes}"

    monkeypatch.setattr(engine_run, "pick_device", lambda name: torch.device("cuda"))
    monkeypatch.setattr(engine_run, "_run_on", fake_run_on)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    monkeypatch.setattr(engine.limits, "free_memory", lambda: free)
    return tried


@pytest.mark.parametrize("error", [
    None,
    # A CUDA library's own allocation failing is a plain RuntimeError (the seams' FFT).
    RuntimeError("cuFFT error: CUFFT_ALLOC_FAILED"),
    RuntimeError("CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`"),
])
def test_out_of_gpu_memory_finishes_on_the_cpu(monkeypatch, error):
    tried = _gpu_that_runs_out(monkeypatch, free=1 << 40, error=error)
    [said] = list(run(moving_texture(6, 32, 48), Request(seed=0)))
    assert tried == ["cuda", "cuda", "cpu"]
    # Each attempt's notes start afresh (a note said three times read as three runs); the
    # out-of-memory lines are carried on.
    assert said.count("a note of this attempt") == 1 and "retrying with smaller" in said
    assert "finishing on the CPU" in said


def test_the_gpu_cache_is_emptied_after_the_failed_attempt_let_go(monkeypatch):
    """The failed attempt's tensors (keys, fields, its pyramid) are held by the exception's
    traceback until its handler ends: the cache was emptied inside the handler, where it
    could give none of them back, so the retry with smaller chunks ran out again."""
    import weakref

    import torch

    import engine.run as engine_run

    _gpu_that_runs_out(monkeypatch, free=1 << 40)
    made, alive = [], []

    def holding(device, task, settings, source, cancel, notes, budgets, bars):
        held = torch.empty(8)  # what an attempt holds while it runs
        made.append(weakref.ref(held))
        if device.type == "cuda":
            raise RuntimeError("cuFFT error: CUFFT_ALLOC_FAILED")
        yield "done"

    monkeypatch.setattr(engine_run, "_run_on", holding)
    monkeypatch.setattr(torch.cuda, "empty_cache",
                        lambda: alive.append([r() is not None for r in made]))
    assert list(run(moving_texture(6, 32, 48), Request(seed=0))) == ["done"]
    assert alive == [[False], [False, False]]


def test_the_fine_levels_generator_names_the_gpu_the_tensors_name(monkeypatch):
    """torch.Generator(device="cuda").device reads `cuda` where the tensors read `cuda:0`:
    patchmatch._draw saw two devices and drew every fine field into a spare block."""
    import torch

    import engine.run as engine_run

    made = []

    class Generator:
        def __init__(self, device=None):
            made.append(torch.device(device))

        def manual_seed(self, seed):
            return self

    monkeypatch.setattr(torch, "Generator", Generator)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    engine_run._fine_generator(torch.device("cuda"), 1, None)
    engine_run._fine_generator(torch.device("cuda:1"), 1, None)
    assert made == [torch.device("cuda", 0), torch.device("cuda", 1)]


def test_another_gpu_error_is_not_taken_for_running_out_of_memory(monkeypatch):
    tried = _gpu_that_runs_out(monkeypatch, free=1 << 40, error=RuntimeError("CUDA error: an illegal memory access"))
    with pytest.raises(RuntimeError, match="illegal memory access"):
        list(run(moving_texture(6, 32, 48), Request(seed=0)))
    assert tried == ["cuda"]


def test_out_of_gpu_memory_checks_the_cpus_memory_before_falling_back(monkeypatch):
    # The GPU run skips the RAM estimate; the CPU fallback must not start a run the CPU
    # path would have refused (it would swap or die instead of saying why).
    tried = _gpu_that_runs_out(monkeypatch, free=1000)
    with pytest.raises(InputError, match="GPU ran out of memory, and on the CPU .* needs about"):
        list(run(moving_texture(6, 32, 48), Request(seed=0)))
    assert tried == ["cuda", "cuda"]


@pytest.mark.parametrize("name", ["cudax", "cuda0", "cuda:", "gpu"])
def test_a_mistyped_device_is_one_clear_error(name):
    from engine.device import pick_device

    with pytest.raises(InputError, match="unknown device|no CUDA GPU") as raised:
        pick_device(name)
    if "unknown" in str(raised.value):  # every form the help offers, cuda:N too
        assert str(raised.value).endswith("use auto, cpu, cuda or cuda:N")


def _steps(frames: np.ndarray) -> np.ndarray:
    return np.abs(np.diff(frames.astype(np.float32), axis=0)).mean(axis=(1, 2, 3))


def test_a_longer_retarget_keeps_moving_at_the_clips_own_speed():
    """Twice the frames: the figure goes on moving (its motion slowed to a third in the
    middle of the output: a 3-frame coarsest level has one temporal patch, and a stretch
    in time is slow motion); the output is made of the clip's own moves."""
    from tests.synth import figure_scene

    clip = figure_scene(12, 48, 80)
    out = final(clip, Request(task="retarget", frames=24, seed=1)).frames
    assert out.shape[0] == 24
    assert _steps(out).min() >= 0.6 * _steps(clip).min(), _steps(out).round(1)


def test_a_shorter_retarget_is_not_the_first_frames():
    """Half the frames: made from moments of the whole clip, not a trim of its start."""
    clip = moving_texture(12, 40, 56, seed=3)
    out = final(clip, Request(task="retarget", frames=6)).frames
    assert np.abs(out.astype(np.float32) - clip[:6]).mean() > 2.0


@pytest.mark.parametrize("clip_t", [24, 30])
def test_a_retarget_one_or_two_frames_longer_is_the_clip_then_its_start(clip_t):
    """Without noise, one frame longer is the clip and its first frame again. For T+1 the
    coarsest query grid was no longer than the looped keys', so it was stretched over them
    (1.2x) instead of each query taking its own moment: frames lagged, then skipped, in the
    middle of the clip (up to 192 grey levels off)."""
    from tests.synth import balloon_scene

    clip = balloon_scene(clip_t, 40, 56)
    for extra in (1, 2):
        out = final(clip, Request(task="retarget", frames=clip_t + extra)).frames
        assert np.array_equal(out, clip[np.arange(clip_t + extra) % clip_t])


@pytest.mark.parametrize("clip_t, out_t, w", [(12, 24, 80), (14, 25, 64)])
def test_a_longer_retargets_loop_point_is_a_clean_cut(clip_t, out_t, w):
    """Past the clip's end the output starts it again: the frames at the loop point are the
    clip's last and first, each whole (they were a cross-dissolve of the two moments over
    several frames: a translucent figure and backdrop), with no frame held or skipped. 14
    frames made 25 long: a level pair where the clip keeps its 12 frames and the output
    grows by one (resized over its whole length, frame 22 was 15 grey levels off)."""
    from tests.synth import figure_scene

    clip = figure_scene(clip_t, 48, w)
    out = final(clip, Request(task="retarget", frames=out_t, seed=1)).frames
    dist = np.sqrt(((out[:, None].astype(np.float32) - clip[None].astype(np.float32)) ** 2).mean(axis=(2, 3, 4)))
    assert dist.argmin(1).tolist() == [i % clip_t for i in range(out_t)], dist.argmin(1).tolist()
    assert dist.min(1).max() < 2.0, dist.min(1).round(1)


def test_a_clip_one_patch_long_made_longer_keeps_the_loop_rule(monkeypatch):
    """A 3-frame clip (one temporal patch) has one patch that does not wrap, its first: the
    loop rule holds its matches too (it was skipped, and regions cut at their own frames)."""
    import engine.run as engine_run
    from tests.synth import moving_texture
    from tests.test_patchmatch import _loop_ok

    fields = []
    layer = engine_run.vpnn_layer

    def spy(query, keys, value, patch, iters, **kw):
        out = layer(query, keys, value, patch, iters, **kw)
        fields.append((value.shape[1] - patch[0] + 1, patch[0], out[1][0]))
        return out

    monkeypatch.setattr(engine_run, "vpnn_layer", spy)
    final(moving_texture(3, 48, 64, seed=2), Request(frames=8, seed=2))
    assert fields and all(_loop_ok(kt, p, pt) for p, pt, kt in fields)


def test_a_longer_variation_is_a_variation_for_every_seed():
    """Twice the frames: each seed a variation of its own (every seed replayed the clip:
    the noise, measured on 12 coarsest frames that lie close together in time, was too weak
    to leave the input, and the copy test did not look at another duration)."""
    from tests.synth import figure_scene

    clip = figure_scene(12, 48, 80)
    outs = [final(clip, Request(frames=24, seed=seed)).frames for seed in (0, 1)]
    assert np.abs(outs[0].astype(np.float32) - outs[1]).mean() > 5.0
    for out in outs:
        dist = np.sqrt(((out[:, None].astype(np.float32) - clip[None].astype(np.float32)) ** 2).mean(axis=(2, 3, 4)))
        assert dist.min(1).mean() > 5.0, dist.min(1).round(1)


def test_a_looped_output_is_resized_pass_by_pass():
    """A looped output resized to a level where the clip has more frames keeps its loop
    points on that level's: each pass is the clip's own frames resized (a resize of the
    whole length put a frame between the clip's end and start, a blend of both)."""
    import torch

    from engine.chunks import DEFAULT
    from engine.pyramid import resize
    from engine.run import _resize_looped

    ramp = torch.arange(12, dtype=torch.float32)  # each frame: its moment in the clip
    video = ramp[torch.arange(18) % 12].view(1, 18, 1, 1).expand(1, 18, 4, 4).contiguous()
    out = _resize_looped(video, (20, 4, 4), (12, 13), budgets=DEFAULT, cancel=None)[0, :, 0, 0]
    steps = out[1:] - out[:-1]
    assert steps[12] < -9 and bool((steps[torch.arange(19) != 12] > 0).all()), out  # one cut, at 13
    same = _resize_looped(video, (18, 6, 6), (12, 12), budgets=DEFAULT, cancel=None)
    assert torch.equal(same, resize(video, (18, 6, 6)))  # equal periods: the plain resize


def test_a_longer_variation_passes_the_loop_point_whole_frame(monkeypatch):
    """Every level's matches of a longer variation cross the clip's loop point only where
    the output passes it, all regions at the same frame (a region a frame ahead of the rest
    cut a frame early: one frame held the clip's end beside its start, a seam across the
    sky), also where the clip has fewer frames at the coarse levels than at the finest."""
    import engine.run as engine_run
    from tests.synth import figure_scene
    from tests.test_patchmatch import _loop_ok

    seen = []
    layer = engine_run.vpnn_layer

    def spy(query, keys, value, patch, iters, **kw):
        out = layer(query, keys, value, patch, iters, **kw)
        seen.append((kw.get("loop"), patch[0], out[1][0]))
        return out

    monkeypatch.setattr(engine_run, "vpnn_layer", spy)
    clip = figure_scene(14, 48, 80)
    out = final(clip, Request(frames=30, seed=0)).frames
    assert out.shape[0] == 30
    assert seen and all(loop for loop, _, _ in seen)
    assert {loop for loop, _, _ in seen} >= {12, 14}
    for loop, pt, kt in seen:
        assert _loop_ok(kt, loop, pt)


def test_a_gpu_device_turns_off_tf32_in_convolutions(monkeypatch):
    # The realism score's and metrics' distances (|k|^2 - 2 k.q + |q|^2) lose a good
    # match's whole distance to TF32, which cuDNN uses by default.
    import warnings

    import torch

    from engine.device import pick_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    # and lets cuDNN pick no algorithm by the memory free (a seed's frames would follow it)
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", False)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pick_device("auto").type == "cuda"
        assert torch.backends.cudnn.allow_tf32 is False
        assert torch.backends.cudnn.deterministic is True
        assert torch.backends.cudnn.benchmark is False
        with torch.backends.cudnn.flags(enabled=torch.backends.cudnn.enabled, allow_tf32=False):
            pass  # the flags stay readable


def test_cublas_failing_to_start_for_memory_is_a_gpu_out_of_memory():
    """cuBLAS says NOT_INITIALIZED when its handle cannot get memory (a worker's first
    matrix product while another run fills the GPU): the run stopped instead of retrying
    with smaller chunks, then on the CPU."""
    from engine.run import gpu_out_of_memory

    assert gpu_out_of_memory(RuntimeError("CUDA error: CUBLAS_STATUS_NOT_INITIALIZED when "
                                          "calling `cublasCreate(handle)`"))
    assert not gpu_out_of_memory(RuntimeError("shape mismatch"))

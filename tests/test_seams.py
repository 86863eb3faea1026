"""Seam blending (engine/seams.py, Settings.blend_seams): a faint step where two copied
regions of smooth sky meet is taken out; what has no seam, and an object's edge, stay."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch

from engine.cli import _settings, build_parser
from engine.config import Settings
from engine.errors import Cancelled, InputError
from engine.pyramid import Level
from engine.request import Request
from engine.run import run, seam_level_of
from engine.seams import LEVEL, _smooth_in_time, blend_seams, passes_for, seam_lines
from tests.synth import balloon_scene, final

PATCH = (3, 7, 7)


def _sky(t: int = 4, h: int = 48, w: int = 64) -> torch.Tensor:
    """A smooth sky (C, T, H, W) in [-1, 1]: brighter towards the bottom, as at dusk."""
    y = torch.linspace(-0.6, 0.4, h, dtype=torch.float64)[None, None, :, None]
    return (y + torch.tensor([0.0, 0.05, 0.2], dtype=torch.float64)[:, None, None, None]).expand(3, t, h, w).float()


def _grid_coords(t: int, h: int, w: int, dy_right: int) -> tuple[torch.Tensor, ...]:
    """Matches of every patch position: in place, except the right half's, taken `dy_right`
    rows lower in the source."""
    gt, gh, gw = t - PATCH[0] + 1, h - PATCH[1] + 1, w - PATCH[2] + 1
    mt, my, mx = torch.meshgrid(torch.arange(gt), torch.arange(gh), torch.arange(gw), indexing="ij")
    my = torch.where(mx + PATCH[2] // 2 >= w // 2, (my + dy_right).clamp(max=gh - 1), my)
    return mt, my, mx


def test_a_faint_step_between_copied_regions_is_blended():
    sky = _sky()
    c, t, h, w = sky.shape
    dy = 3  # the right half copied from 3 rows lower: a few levels brighter
    out = sky.clone()
    out[:, :, : h - dy, w // 2:] = sky[:, :, dy:, w // 2:]
    out[:, :, h - dy:, w // 2:] = sky[:, :, -1:, w // 2:]
    step = (out[:, :, 10:30, w // 2] - out[:, :, 10:30, w // 2 - 1]).abs().max()
    assert 3 * LEVEL < step < 24 * LEVEL  # faint, but a visible straight edge
    blended, left = blend_seams(out, sky, _grid_coords(t, h, w, dy), PATCH)
    assert left == 0.0  # a long straight step: gone after a pass or two
    after = (blended[:, :, 10:30, w // 2] - blended[:, :, 10:30, w // 2 - 1]).abs().max()
    assert after < step / 3
    assert (blended - out).abs().mean() < step / 2  # spread out, not repainted
    # The sky's own gradient (top to bottom) is kept on both sides.
    assert (blended[:, :, 30] - blended[:, :, 10]).mean() == pytest.approx(float((out[:, :, 30] - out[:, :, 10]).mean()), abs=4 * LEVEL)


def test_a_cancel_stops_the_pass_between_frames():
    """A Full-HD frame takes seconds: the pass polls the cancel before each one."""
    sky = _sky()
    polls = []

    def cancel() -> bool:
        polls.append(1)
        return len(polls) > 2  # pressed while the third frame was next

    with pytest.raises(Cancelled):
        blend_seams(sky, sky, _grid_coords(4, 48, 64, 0), PATCH, cancel)
    assert len(polls) == 3


def test_no_seam_no_change_and_an_objects_edge_stays():
    sky = _sky()
    c, t, h, w = sky.shape
    sky[:, :, 20:28, 30:40] = -0.9  # a dark object: its edges are strong, and its own
    same, _ = blend_seams(sky, sky, _grid_coords(t, h, w, 0), PATCH)
    assert (same - sky).abs().max() < LEVEL


def test_a_short_faint_step_is_texture_and_stays():
    sky = _sky()
    c, t, h, w = sky.shape
    out = sky.clone()
    out[:, :, 20:24, 30:34] += 6 * LEVEL  # a faint fleck four pixels high: no line of steps
    same, _ = blend_seams(out, sky, _grid_coords(t, h, w, 0), PATCH)
    assert (same - out).abs().max() < LEVEL


def test_corrections_are_smoothed_in_time():
    steady = torch.full((3, 5, 4, 4), 0.1)
    kept = steady.clone()
    _smooth_in_time(kept)
    assert torch.allclose(kept, steady)  # a seam found in every frame keeps its whole correction
    once = torch.zeros(3, 5, 4, 4)
    once[:, 2] = 0.1
    _smooth_in_time(once)  # found in one frame only: shared with its neighbours, not flickering
    assert once[:, 2].max().item() == pytest.approx(0.05)
    assert once[:, 1].max().item() == pytest.approx(0.025) and once[:, 3].max().item() == pytest.approx(0.025)
    assert once[:, 0].abs().max() == 0 and once[:, 4].abs().max() == 0


def test_run_blends_variations_only_and_stays_deterministic():
    clip = balloon_scene(t=6, h=40, w=64)
    plain = final(clip, Request(seed=1, settings=Settings().with_(blend_seams="off"))).frames
    blended = final(clip, Request(seed=1, settings=Settings().with_(blend_seams="on"))).frames
    again = final(clip, Request(seed=1, settings=Settings().with_(blend_seams="on"))).frames
    assert np.array_equal(blended, again)
    diff = np.abs(blended.astype(int) - plain.astype(int))
    assert diff.mean() < 2.0  # the same variation, its faint seams blended
    mask = np.zeros(clip.shape[:3], bool)
    mask[:, 10:20, 20:30] = True
    inpaint = [final(clip, Request(task="inpaint", seed=1, mask=mask, settings=Settings().with_(blend_seams=b))).frames
               for b in ("off", "on")]
    assert np.array_equal(*inpaint)  # not for inpainting: its pinned voxels stay as they are


def test_auto_blends_only_a_run_whose_seam_measure_is_flagged(monkeypatch):
    """The default ("auto") blends a result exactly when the realism score would flag its
    seams, says so in the run's notes, and otherwise leaves the paper's method's frames."""
    import engine.run

    clip = balloon_scene(t=6, h=40, w=64)

    def make(mode: str):
        return final(clip, Request(seed=0, settings=Settings().with_(blend_seams=mode)))

    off, on = make("off"), make("on")
    assert off.seams > 0 and not np.array_equal(off.frames, on.frames)
    note = "faint seams where copied regions meet were blended"
    monkeypatch.setattr(engine.run, "SEAMS_FLAG_AT", off.seams + 0.01)  # just under the flag
    auto = make("auto")
    assert np.array_equal(auto.frames, off.frames) and auto.seams == off.seams
    assert note not in auto.notes
    monkeypatch.setattr(engine.run, "SEAMS_FLAG_AT", off.seams - 0.01)  # just over it
    auto = make("auto")
    assert np.array_equal(auto.frames, on.frames) and auto.seams == on.seams
    assert note in auto.notes and note not in on.notes
    assert Settings().blend_seams == "auto"


def test_setting_and_command_line_flag():
    for wrong in ("yes", True, False):
        with pytest.raises(InputError, match="blend_seams must be one of off, auto, on"):
            Settings().with_(blend_seams=wrong).validate()
    parser = build_parser()

    def mode(*args: str) -> str:
        return _settings(parser.parse_args(list(args))).blend_seams

    assert mode("generate", "-o", "x.mp4", "--blend-seams") == "on"
    assert mode("generate", "--blend-seams", "in.mp4", "-o", "x.mp4") == "on"  # not its value
    assert mode("generate", "-o", "x.mp4", "--no-blend-seams") == "off"
    assert mode("retarget", "in.mp4", "-o", "x.mp4") == "auto"
    with pytest.raises(SystemExit):  # one or the other
        parser.parse_args(["retarget", "in.mp4", "-o", "x.mp4", "--blend-seams", "--no-blend-seams"])


def test_seam_lines_measures_a_faint_seams_length_in_frame_heights():
    """The realism score's seam term: the faint step of two copied regions of sky, as long as
    the frame is high, reads about 1 a frame; the same sky in place, or with a dark object,
    reads 0."""
    sky = _sky()
    c, t, h, w = sky.shape
    dy = 3
    out = sky.clone()
    out[:, :, : h - dy, w // 2:] = sky[:, :, dy:, w // 2:]
    out[:, :, h - dy:, w // 2:] = sky[:, :, -1:, w // 2:]
    assert 0.8 < seam_lines(out, sky, _grid_coords(t, h, w, dy), PATCH) <= 1.0
    assert seam_lines(sky, sky, _grid_coords(t, h, w, 0), PATCH) == 0.0
    sky[:, :, 20:28, 30:40] = -0.9  # an object's edges are strong, and the source's own
    assert seam_lines(sky, sky, _grid_coords(t, h, w, 0), PATCH) == 0.0


def test_a_run_reports_its_seams_on_its_last_level_for_variations_only():
    clip = balloon_scene(t=6, h=40, w=64)
    levels = list(run(clip, Request(seed=1)))
    assert levels[-1].seams is not None and levels[-1].seams >= 0
    assert all(r.seams is None for r in levels[:-1])  # measured on the last level at this size
    mask = np.zeros(clip.shape[:3], bool)
    mask[:, 10:20, 20:30] = True
    assert final(clip, Request(task="inpaint", seed=1, mask=mask)).seams is None


def test_the_seam_measure_reads_a_level_of_about_144_pixels_on_a_large_run():
    """At full size a Full-HD run's large levels hold many short seams in cloud texture,
    too small to see; the measure reads the first level at least SEAM_SIDE high."""
    levels = [Level((3, s, 2 * s), (3, s, 2 * s), PATCH, 5) for s in (15, 40, 100, 150, 300)]
    assert seam_level_of(levels) == 3
    assert seam_level_of(levels[:3]) == 2  # none that high: the last


def test_blend_seams_lowers_the_runs_seam_measure_over_several_passes(monkeypatch):
    """With Blend seams the run's seam measure is what the blend left of it. The seams of
    a variation are short and ragged (the edges of copied regions), so one pass, whose
    constraint at a short seam its neighbours' own gradients share, leaves most of them;
    the passes that follow take most of the rest."""
    import engine.run

    clip = balloon_scene(t=6, h=40, w=64)
    request = Request(seed=0, settings=Settings().with_(blend_seams="on"))
    plain = final(clip, Request(seed=0, settings=Settings().with_(blend_seams="off"))).seams
    blended = final(clip, request).seams
    assert plain > 0 and blended < plain / 2
    monkeypatch.setattr(engine.run, "blend_seams", partial(blend_seams, passes=1))
    once = final(clip, request).seams
    assert blended < once / 2 < plain


def test_fewer_passes_on_large_frames():
    """Short seams, the ones that need several passes, are too small to see at Full-HD,
    where a pass costs seconds a frame."""
    assert passes_for(144, 256) == 4 and passes_for(360, 640) == 4
    assert passes_for(720, 1280) == 2 and passes_for(1080, 1920) == 1


def test_a_tiny_run_checks_its_draws_before_the_blend(monkeypatch):
    """A run of three levels or fewer checks its last level for a redraw: a draw thrown away
    leaves no note of a blend, the check reads the frames as drawn (so "auto" keeps the same
    draw as "off"), and the kept draw is blended and noted once."""
    import engine.run
    from engine.request import SEAMS_BLENDED

    clip = balloon_scene(t=4, h=16, w=16)
    calls: list[int] = []

    def first_draw_only(*args, **kwargs) -> float:
        calls.append(1)
        return 20.0 if len(calls) == 1 else 0.0

    monkeypatch.setattr(engine.run, "seam_lines", first_draw_only)
    auto = final(clip, Request(seed=0))
    assert len(calls) > 1  # the first draw was thrown away, or this proves nothing
    off = final(clip, Request(seed=0, settings=Settings().with_(blend_seams="off")))
    assert np.array_equal(auto.frames, off.frames) and SEAMS_BLENDED not in auto.notes
    monkeypatch.setattr(engine.run, "seam_lines", lambda *args, **kwargs: 20.0)
    seamy = final(clip, Request(seed=0))
    on = final(clip, Request(seed=0, settings=Settings().with_(blend_seams="on")))
    assert seamy.notes.count(SEAMS_BLENDED) == 1 and SEAMS_BLENDED not in on.notes
    assert np.array_equal(seamy.frames, on.frames)  # the same draw kept, blended alike

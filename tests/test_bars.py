"""Black bars (engine/bars.py): found in a letterboxed or pillarboxed clip, kept in place by
variations and retargets, and left out of the realism score."""

from __future__ import annotations

import numpy as np
import pytest

from engine.bars import Bars, find_bars, output_bars, put_back
from engine.realism import RealismScorer
from engine.request import Request
from engine.run import run
from engine.tasks import task_for
from tests.synth import balloon_scene, final


def _boxed(frames: np.ndarray, top=0, bottom=0, left=0, right=0, seed=0) -> np.ndarray:
    """`frames` inside black bars with a coder's noise in them (codes 0-6)."""
    t, h, w, _ = frames.shape
    rng = np.random.default_rng(seed)
    out = rng.integers(0, 7, (t, h + top + bottom, w + left + right, 3)).astype(np.uint8)
    out[:, top:top + h, left:left + w] = frames
    return out


def test_pillar_and_letterbox_bars_are_found_with_their_colour():
    scene = balloon_scene()
    bars = find_bars(_boxed(scene, left=9, right=8))
    assert (bars.top, bars.bottom, bars.left, bars.right) == (0, 0, 9, 8)
    assert all(0 <= c <= 6 for c in bars.colour)
    bars = find_bars(_boxed(scene, top=6, bottom=6))
    assert (bars.top, bars.bottom, bars.left, bars.right) == (6, 6, 0, 0)
    assert bars.describe() == "6 px top and bottom"
    assert Bars(0, 0, 9, 8).describe() == "9 px left, 8 px right"
    assert Bars(4, 4, 2, 2).describe() == "4 px top and bottom, 2 px left and right"


def test_no_bars_in_a_plain_clip_a_dark_clip_or_an_edge_dark_only_sometimes():
    scene = balloon_scene()
    assert not find_bars(scene)
    assert not find_bars(np.zeros((4, 40, 60, 3), np.uint8))  # dark edge to edge: no picture
    boxed = _boxed(scene, left=10)
    boxed[3, :, :10] = 200  # lit in one frame: picture, not a bar
    assert not find_bars(boxed)
    # Too little picture left between them (under a quarter of the width): not bars.
    assert not find_bars(_boxed(scene[:, :, :12], left=30, right=30))


def test_output_bars_are_in_proportion_and_put_back_around_any_level():
    bars = Bars(0, 0, 10, 10, (3, 2, 1))
    assert output_bars(bars, (48, 100), (48, 150)) == Bars(0, 0, 15, 15, (3, 2, 1))
    assert output_bars(bars, (48, 100), (48, 18)) is None  # no room for a picture
    picture = np.full((2, 24, 40, 3), 200, np.uint8)  # a preview at half the final 48x80
    framed = put_back(picture, Bars(0, 0, 10, 10, (3, 2, 1)), (48, 80))
    assert framed.shape == (2, 24, 50, 3)
    assert (framed[:, :, :5] == (3, 2, 1)).all() and (framed[:, :, -5:] == (3, 2, 1)).all()
    assert (framed[:, :, 5:45] == 200).all()


def test_a_variation_keeps_the_bars_and_makes_the_picture_as_without_them():
    scene = balloon_scene(t=8)
    boxed = _boxed(scene, left=10, right=10)
    out = final(boxed, Request(seed=3))
    plain = final(scene, Request(seed=3))
    assert out.frames.shape == boxed.shape
    colour = find_bars(boxed).colour
    assert (out.frames[:, :, :10] == colour).all() and (out.frames[:, :, -10:] == colour).all()
    # The picture is the run's on the clip without bars, frame for frame.
    assert np.array_equal(out.frames[:, :, 10:-10], plain.frames)
    assert any("black bars" in n and "10 px left and right" in n for n in out.notes)


def test_every_level_and_a_retarget_keep_bars_in_proportion():
    boxed = _boxed(balloon_scene(t=8), top=8, bottom=8)
    levels = list(run(boxed, Request(seed=0)))
    for r in levels:
        h = r.frames.shape[1]
        edge = max(1, round(8 * h / boxed.shape[1]) - 1)
        assert (r.frames[:, :edge].max(axis=3) <= 32).all(), r.level
    wide = final(boxed, Request(task="retarget", width=120, height=96))
    assert wide.frames.shape[1:3] == (96, 120)
    rows = (wide.frames.max(axis=3) <= 32).all(axis=(0, 2))
    assert rows[:12].all() and rows[-12:].all() and not rows[12:-12].any()


@pytest.mark.parametrize("task", ["inpaint", "analogy", "sketch"])
def test_tasks_that_pin_or_follow_a_guide_leave_bars_as_content(task):
    assert not task_for(Request(task=task)).keeps_bars


def test_the_realism_score_judges_the_picture_only():
    scene = balloon_scene(t=8)
    out = final(scene, Request(seed=1)).frames
    plain = RealismScorer(scene)(out)
    boxed = RealismScorer(_boxed(scene, left=10, right=10))(_boxed(out, left=10, right=10, seed=1))
    assert boxed.ratio == pytest.approx(plain.ratio, rel=1e-4)
    assert boxed.layout == pytest.approx(plain.layout, rel=1e-4)
    assert boxed.worst == (plain.worst[0], plain.worst[1], plain.worst[2] + 10)


def test_a_bar_too_thin_for_a_shrunk_run_is_left_as_it_is():
    from engine.config import Settings

    boxed = _boxed(balloon_scene(t=6), top=1)
    out = final(boxed, Request(seed=0, settings=Settings().with_(max_side=40)))
    assert not any("black bars" in n for n in out.notes)  # 1 px at half size is none
    assert out.frames.shape[1:3] == (round(49 * 0.5), 40)


def test_a_dark_textured_edge_is_picture_not_a_bar():
    scene = balloon_scene(t=8)
    rng = np.random.default_rng(0)
    scene[:, 36:] = rng.integers(0, 31, scene[:, 36:].shape)  # a night ground, codes 0-30
    assert not find_bars(scene)


@pytest.mark.parametrize("x", [37, 43])
def test_bars_reach_over_h264s_ringing_beside_the_picture(tmp_path, x):
    """H.264 lifts the black beside a picture whose edge is off its 8-pixel blocks over
    BAR_LEVEL; those lines are bar, or a variation cuts black notches into the picture's
    edge from them. A picture edge that brightens gradually beside a bar stays picture."""
    from fractions import Fraction

    from engine.io import read_video
    from engine.io.writer import write_video

    clip = np.zeros((8, 64, 128, 3), np.uint8)
    clip[:, :, x:x + 48] = balloon_scene(t=8, h=64, w=48)
    clip[:, :, x:x + 48] = np.maximum(clip[:, :, x:x + 48], 90)  # a bright edge, as a sky's
    path = write_video(clip, tmp_path / "bars.mp4", fps=Fraction(10), crf=35)
    bars = find_bars(read_video(path).frames)
    assert (bars.left, bars.right) == (x, 128 - 48 - x)
    vignette = _boxed(balloon_scene(t=8), left=20, right=20)
    rng = np.random.default_rng(1)
    for i, mean in enumerate(range(12, 44, 4)):  # columns 20-27: means 12 to 40
        vignette[:, :, 20 + i] = rng.integers(0, 2 * mean + 1, vignette[:, :, 20 + i].shape)
    assert find_bars(vignette).left == 20


def test_a_shrunk_run_cuts_the_picture_out_before_the_downscale():
    """The downscale's filter would carry the bars' black into the picture's edge."""
    from engine.config import Settings

    boxed = _boxed(balloon_scene(t=6), left=10, right=10)  # 100 px wide, max_side 50: half
    out = final(boxed, Request(task="retarget", width=100, settings=Settings().with_(max_side=50)))
    assert out.frames.shape[1:3] == (24, 50)
    edge, next_in = out.frames[:, :, 5].mean(), out.frames[:, :, 6].mean()
    assert edge > 0.97 * next_in  # 0.92 when the bars were shrunk with the picture


def test_a_dark_edge_of_a_result_is_judged_where_the_source_has_no_bars():
    scene = balloon_scene(t=8)
    out = final(scene, Request(seed=1)).frames.copy()
    out[:, :6] = 0  # a result that went black along its top
    assert RealismScorer(scene)(out).new is not None  # judged whole, against the whole source


def _captioned(boxed: np.ndarray, rows: slice, frames: slice, share: float = 0.2) -> np.ndarray:
    """`boxed` with text-like strokes (a `share` of the width lit, 230) in `rows` of some
    frames, the way subtitles sit in a letterbox's bar."""
    out = boxed.copy()
    rng = np.random.default_rng(7)
    part = out[frames, rows]
    lit = rng.random(part.shape[:-1]) < share
    part[lit] = 230
    out[frames, rows] = part
    return out


def test_bars_reach_past_captions_and_leave_them_out():
    scene = balloon_scene(t=8)
    boxed = _boxed(scene, top=12, bottom=16)  # a picture of 48 rows in 76
    captioned = _captioned(boxed, slice(76 - 12, 76 - 5), slice(2, 6))  # 4 dark rows above the text
    bars = find_bars(captioned)
    assert (bars.top, bars.bottom) == (12, 16) and bars.captions
    assert all(c <= 6 for c in bars.colour)  # the black's colour, not the text's
    out = final(captioned, Request(seed=3))
    assert np.array_equal(out.frames[:, 12:-16], final(scene, Request(seed=3)).frames)
    assert (out.frames[:, -16:] == bars.colour).all()  # the captions left out
    assert any("without the captions in them" in n for n in out.notes)


def test_a_dark_picture_edge_with_lights_is_no_caption():
    """Lit specks in rows that are mostly dark are the picture's (a night street) unless
    black rows part them from the picture."""
    scene = balloon_scene(t=8)
    boxed = _boxed(scene, bottom=16)
    lights = _captioned(boxed, slice(48, 60), slice(None), share=0.1)  # from the picture's edge on
    bars = find_bars(lights)
    assert bars.bottom == 4 and not bars.captions  # only the black below them
    # Text filling most of its rows is no caption in a bar either.
    dense = _captioned(boxed, slice(52, 58), slice(2, 6), share=0.6)
    assert not find_bars(dense).captions

"""Blurred sides (engine/blurred_sides.py): a tall picture over a blurred, enlarged copy of
itself is found, its picture made alone and its sides made again from the new picture; a
clip whose edges are merely soft keeps them as picture."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.bars import Bars
from engine.blurred_sides import BlurredSides, find_blurred_sides
from engine.config import Settings
from engine.realism import RealismScorer
from engine.request import Request
from engine.run import run
from engine.surround import find_surround
from tests.synth import balloon_scene, final


def _gauss(x: torch.Tensor, sigma: float) -> torch.Tensor:
    r = math.ceil(3 * sigma)
    k = torch.exp(-torch.arange(-r, r + 1.0) ** 2 / (2 * sigma ** 2))
    k = (k / k.sum()).view(1, 1, 1, -1)
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.transpose(2, 3).repeat(c, 1, 1, 1), groups=c)


def _over_blur(picture: np.ndarray, height: int, width: int, sigma: float = 4.0, gain: float = 1.0,
               stretch: bool = False, seed: int = 0) -> tuple[np.ndarray, tuple[int, int]]:
    """`picture` centred in a (height, width) frame over a blurred copy of itself enlarged
    to cover it (or stretched to it), darkened by `gain`, with a coder's noise; and the
    picture's first row and column."""
    p = torch.from_numpy(picture).permute(0, 3, 1, 2).float()
    _, _, ph, pw = p.shape
    if stretch:
        bg = F.interpolate(p, (height, width), mode="bilinear", align_corners=False)
    else:
        s = max(height / ph, width / pw)
        bh, bw = math.ceil(ph * s), math.ceil(pw * s)
        bg = F.interpolate(p, (bh, bw), mode="bilinear", align_corners=False)
        y0, x0 = (bh - height) // 2, (bw - width) // 2
        bg = bg[:, :, y0:y0 + height, x0:x0 + width]
    bg = _gauss(bg, sigma) * gain
    bg += torch.from_numpy(np.random.default_rng(seed).normal(0, 0.7, bg.shape)).float()
    out = bg.clamp(0, 255).round().byte().permute(0, 2, 3, 1).numpy().copy()
    y, x = (height - ph) // 2, (width - pw) // 2
    out[:, y:y + ph, x:x + pw] = picture
    return out, (y, x)


def _tall(t: int = 6) -> np.ndarray:
    """A tall picture: the balloon scene on its side's scale, 64 high and 36 wide."""
    return balloon_scene(t=t, h=64, w=36)


def test_a_tall_picture_over_a_blurred_copy_is_found_with_its_recipe():
    clip, (_, x) = _over_blur(_tall(), 64, 112, sigma=4.0)
    sides = find_blurred_sides(clip)
    assert (sides.top, sides.bottom, sides.left, sides.right) == (0, 0, x, 112 - x - 36)
    assert sides.zoom == 1.0
    assert sides.sigma * 112 == pytest.approx(4.0, rel=0.35)
    assert all(g == pytest.approx(1.0, abs=0.1) for g in sides.gain)
    assert sides.describe() == "38 px left and right"
    assert find_surround(clip) == sides  # (no black bars, so the blurred sides)


def test_a_darkened_stretched_copy_and_a_letterbox_are_found_too():
    clip, (_, x) = _over_blur(_tall(), 64, 112, sigma=3.0, gain=0.6, stretch=True)
    sides = find_blurred_sides(clip)
    assert (sides.left, sides.right) == (x, 112 - x - 36)
    assert sides.zoom == 0.0
    assert all(g == pytest.approx(0.6, abs=0.08) for g in sides.gain)
    wide = balloon_scene(t=6, h=40, w=96)
    clip, (y, _) = _over_blur(wide, 84, 96, sigma=3.0)
    sides = find_blurred_sides(clip)
    assert (sides.top, sides.bottom, sides.left, sides.right) == (y, 84 - y - 40, 0, 0)


def test_soft_edges_that_are_no_copy_of_the_middle_are_picture():
    scene = balloon_scene(t=6, h=64, w=112)
    assert not find_blurred_sides(scene)
    # The clip's own edges blurred where they are (a shallow focus): soft, but not an
    # enlarged copy of the middle, and no recipe predicts them.
    x = torch.from_numpy(scene).permute(0, 3, 1, 2).float()
    soft = _gauss(x, 4.0)
    soft[:, :, :, 36:76] = x[:, :, :, 36:76]
    soft = soft.round().byte().permute(0, 2, 3, 1).numpy().copy()
    assert not find_blurred_sides(soft)
    # Flat sides of one colour: no copy either.
    flat = scene.copy()
    flat[:, :, :36] = flat[:, :, 76:] = (200, 190, 180)
    assert not find_blurred_sides(flat)


def test_the_recipe_makes_the_sources_sides_again_from_its_picture():
    clip, (_, x) = _over_blur(_tall(), 64, 112, sigma=4.0)
    sides = find_blurred_sides(clip)
    picture = clip[:, :, x:x + 36]
    again = sides.around(picture, (64, 36))
    assert again.shape == clip.shape
    assert np.array_equal(again[:, :, x:x + 36], picture)
    err = np.abs(again.astype(int) - clip.astype(int))
    assert err.mean() < 2.5 and np.percentile(err, 99) < 12
    # A preview at half size gets sides half as thick.
    half = sides.around(picture[:, ::2, ::2].copy(), (64, 36))
    assert half.shape == (6, 32, 56, 3)


def test_a_variation_makes_the_picture_alone_and_its_sides_from_it():
    tall = _tall(t=8)
    clip, (_, x) = _over_blur(tall, 64, 112, sigma=4.0)
    out = final(clip, Request(seed=3))
    plain = final(tall, Request(seed=3))
    assert out.frames.shape == clip.shape
    # The picture is the run's on the picture alone, frame for frame ...
    assert np.array_equal(out.frames[:, :, x:x + 36], plain.frames)
    # ... and the sides are the recipe's blur of it, not the source's.
    sides = find_blurred_sides(clip)
    assert np.array_equal(out.frames, sides.around(plain.frames, (64, 36)))
    assert any("blurred sides" in n and "38 px left and right" in n for n in out.notes)


def test_every_level_and_a_retarget_keep_their_sides_in_proportion():
    clip, (_, x) = _over_blur(_tall(t=6), 64, 112, sigma=4.0)
    sides = find_blurred_sides(clip)
    levels = list(run(clip, Request(seed=0)))
    for r in levels:  # every preview framed: the tall picture alone is narrower than high
        h, w = r.frames.shape[1:3]
        assert w > 1.5 * h, r.level
    assert levels[-1].frames.shape == clip.shape
    wide = final(clip, Request(task="retarget", width=168))
    assert wide.frames.shape[1:3] == (64, 168)
    left = round(x * 1.5)
    expected = sides.scaled(1.0, 1.5)
    assert (expected.left, expected.right) == (left, 168 - left - round(36 * 1.5))
    pic = wide.frames[:, :, left:left + round(36 * 1.5)]
    assert np.array_equal(wide.frames, expected.around(pic, pic.shape[1:3]))


def test_a_shrunk_run_keeps_the_sides_too():
    clip, _ = _over_blur(_tall(t=6), 64, 112, sigma=4.0)
    out = final(clip, Request(seed=0, settings=Settings().with_(max_side=56)))
    assert out.frames.shape[1:3] == (32, 56)
    assert any("blurred sides" in n for n in out.notes)


def test_the_realism_score_judges_the_picture_between_the_sides():
    """A pixel inside them: a shrunk retarget's sides may land a pixel further in."""
    tall = _tall(t=8)
    out = final(tall, Request(seed=1)).frames
    plain = RealismScorer(tall[:, :, 1:-1])(out[:, :, 1:-1])
    clip, (_, x) = _over_blur(tall, 64, 112, sigma=4.0)
    framed = find_blurred_sides(clip).around(out, (64, 36))
    sided = RealismScorer(clip)(framed)
    assert sided.ratio == pytest.approx(plain.ratio, rel=1e-4)
    assert sided.worst == (plain.worst[0], plain.worst[1], plain.worst[2] + x + 1)
    assert sided.new is not None  # the same size judged on both sides


def _made_window(sides: BlurredSides, out: np.ndarray) -> tuple[int, int]:
    """The columns of an output's picture, read off the output: the split whose picture,
    with sides made from it, gives the output exactly."""
    w = out.shape[2]
    guess = sides.scaled(out.shape[1] / 64, w / 112)
    for left in range(guess.left - 2, guess.left + 3):
        for right in range(guess.right - 2, guess.right + 3):
            picture = out[:, :, left:w - right]
            made = dataclasses.replace(sides, left=left, right=right).around(picture, picture.shape[1:3])
            if np.array_equal(made, out):
                return left, w - right
    raise AssertionError("no split makes the output")


def test_a_shrunk_retarget_judges_no_column_of_blur():
    """Found in a review: the run rounds the sides twice (to the working size, then the
    output's), the score once, and at these sizes the run's sides reach a pixel further
    in than the score's proportion: a column of blur would be judged as picture."""
    from engine.realism import _output_surround

    clip, _ = _over_blur(_tall(t=6), 64, 112, sigma=4.0)
    sides = find_blurred_sides(clip)
    scorer = RealismScorer(clip)
    for width in (86, 91):
        out = final(clip, Request(task="retarget", width=width, settings=Settings().with_(max_side=70))).frames
        first, end = _made_window(sides, out)
        judged = _output_surround(scorer.surround, scorer.source_hw, out)
        assert first <= judged.left and out.shape[2] - judged.right <= end, width


def test_dark_blurred_sides_are_not_taken_for_black_bars():
    """Found in a review: a dark scene over its darkened blur is black enough in places to
    pass for a bar along one edge, which left the rest of the sides to be made."""
    dark = (_tall(t=6).astype(np.float32) * 0.12).round().astype(np.uint8)
    dark[:, ::7] = np.clip(dark[:, ::7].astype(int) + 30, 0, 255)  # some detail in the dark
    clip, (_, x) = _over_blur(dark, 64, 112, sigma=4.0, gain=0.6)
    found = find_surround(clip)
    assert isinstance(found, BlurredSides) and (found.left, found.right) == (x, 112 - x - 36)


def test_blur_that_kept_detail_beside_the_picture_is_found_from_the_centred_width():
    """Found in a review: a side's low-detail run can end short of the picture; the edge
    sought in the blur failed the fit, and a centred picture is tried too."""
    from tests.synth import balloon_scene as scene

    for seed in range(3):
        clip, (_, x) = _over_blur(scene(t=5, h=64, w=36, seed=seed), 64, 112, sigma=4.0)
        sides = find_blurred_sides(clip)
        assert (sides.left, sides.right) == (x, 112 - x - 36), seed


def test_a_light_falling_off_towards_plain_wings_is_picture():
    """Found in a review: a stage lit in the middle, its plain wings fading across; a
    stretched blur of the middle explained 0.90 of the wings, and nothing more than the
    wings' own profile across did."""
    t, h, w = 8, 144, 256
    rng = np.random.default_rng(2)
    xx = (np.arange(w) - w / 2) / w
    light = np.exp(-xx ** 2 / (2 * 0.165 ** 2))[None, None, :, None]
    texture = torch.from_numpy(rng.normal(0, 1, (t, 1, h, w)).astype(np.float32))
    texture = _gauss(texture, 1.0).permute(0, 2, 3, 1).numpy() * 3
    stage = (np.abs(xx) < 0.2)[None, None, :, None]
    frames = np.array([220, 200, 170])[None, None, None] * light + stage * light * 40 * texture
    frames = np.clip(frames + rng.normal(0, 0.5, frames.shape), 0, 255).round().astype(np.uint8)
    assert not find_blurred_sides(frames)
def test_no_sides_is_falsy_and_describes_one_side_each():
    assert not BlurredSides()
    assert BlurredSides(left=30, right=31).describe() == "30 px left, 31 px right"
    assert BlurredSides(top=9, bottom=9).describe() == "9 px top and bottom"


def _filled(picture: np.ndarray, width: int, colour, seed: int = 0) -> np.ndarray:
    """`picture` centred in a frame `width` wide filled with one colour, under a coder's
    noise (within 2 codes), and 6 codes off in the lines beside the picture (ringing)."""
    t, h, w, _ = picture.shape
    rng = np.random.default_rng(seed)
    out = (np.asarray(colour) + rng.integers(-2, 3, (t, h, width, 3))).clip(0, 255).astype(np.uint8)
    x = (width - w) // 2
    out[:, :, x - 2:x] = (np.asarray(colour) - 6).clip(0, 255)
    out[:, :, x:x + w] = picture
    return out


@pytest.mark.parametrize("colour", [(250, 250, 250), (120, 160, 220)])
def test_sides_of_one_flat_colour_are_bars_of_that_colour(colour):
    tall = _tall(t=8)
    clip = _filled(tall, 112, colour)
    bars = find_surround(clip)
    assert isinstance(bars, Bars) and not bars.black
    assert (bars.left, bars.right) == (38, 38)
    assert all(abs(a - b) <= 2 for a, b in zip(bars.colour, colour, strict=True))
    assert not find_blurred_sides(clip)
    out = final(clip, Request(seed=2))
    assert np.array_equal(out.frames[:, :, 38:74], final(tall, Request(seed=2)).frames)
    assert (out.frames[:, :, :38] == bars.colour).all() and (out.frames[:, :, 74:] == bars.colour).all()
    assert any("bars of one colour" in n and "38 px left and right" in n for n in out.notes)


def test_a_picture_smaller_than_the_frame_both_ways_keeps_all_four_bars():
    """A windowbox (or a small video centred on a coloured card): bars of one colour at
    all four edges, not only the pair found first."""
    picture = balloon_scene(t=6, h=40, w=64)
    colour = np.array([240, 180, 200])
    clip = (colour + np.random.default_rng(1).integers(-2, 3, (6, 64, 104, 3))).clip(0, 255).astype(np.uint8)
    clip[:, 10:50, 22:86] = picture  # 10 top, 14 bottom, 22 left, 18 right
    bars = find_surround(clip)
    assert isinstance(bars, Bars)
    assert (bars.top, bars.bottom, bars.left, bars.right) == (10, 14, 22, 18)
    out = final(clip, Request(seed=1))
    assert np.array_equal(out.frames[:, 10:50, 22:86], final(picture, Request(seed=1)).frames)
    assert "10 px top, 14 px bottom, 22 px left, 18 px right" in " ".join(out.notes)
    # Flat bands of another colour inside the first pair are not taken for its bars.
    clip[:, :10, 22:86] = 255
    clip[:, 50:, 22:86] = 255
    bars = find_surround(clip)
    assert isinstance(bars, Bars) and (bars.top, bars.bottom, bars.left, bars.right) == (0, 0, 22, 18)
    # ... nor is a picture's own flat sky and floor a shade off the bars' colour (found in
    # a review: each side's colour is compared, not the two sides' median together).
    clip[:, :10, 22:86] = colour + 8
    clip[:, 50:, 22:86] = colour - 8
    bars = find_surround(clip)
    assert (bars.top, bars.bottom) == (0, 0)


@pytest.mark.parametrize("x, colour", [(37, (128, 128, 128)), (43, (240, 180, 200))])
def test_coloured_bars_are_found_through_h264s_ringing(tmp_path, x, colour):
    """H.264 rings 8-12 lines into a coloured bar beside a picture whose edge is off its
    8-pixel blocks (air_balloons in a grey pillarbox at CRF 23, here a smaller picture at
    CRF 35: 4 lines left out, as before, missed both)."""
    from fractions import Fraction

    from engine.io import read_video
    from engine.io.writer import write_video

    picture = balloon_scene(t=8, h=64, w=48)
    clip = np.empty((8, 64, 128, 3), np.uint8)
    clip[:] = colour
    clip[:, :, x:x + 48] = picture
    path = write_video(clip, tmp_path / "bars.mp4", fps=Fraction(10), crf=35)
    bars = find_surround(read_video(path).frames)
    assert isinstance(bars, Bars) and (bars.left, bars.right) == (x, 128 - 48 - x)


def test_a_fill_that_changes_from_frame_to_frame_is_not_a_bar():
    clip = _filled(_tall(t=8), 112, (200, 200, 200))
    clip[4, :, :30] = 160  # the fill darkens in one frame: not one colour
    assert not isinstance(find_surround(clip), Bars)


def test_the_editor_scores_a_shrunk_run_at_the_scale_it_was_made():
    """Found in a review: the editor read the source's size off the scorer, which keeps
    the picture inside the sides, and judged a Draft result as made at full size."""
    from app.workers.generation import score_result

    clip, _ = _over_blur(_tall(t=6), 64, 112, sigma=4.0)
    request = Request(seed=0, settings=Settings().with_(max_side=56))
    out = final(clip, request).frames
    scorer = RealismScorer(clip)
    assert scorer.full_shape == clip.shape[:3]
    assert score_result(scorer, out, request).ratio == scorer(out, made_at=0.5).ratio


def test_the_whole_frame_is_made_when_asked():
    """Settings.keep_edges off (the editor's Keep bars, --whole-frame):
    for a clip whose edges were taken for sides by mistake, the frame is made whole."""
    from engine.cli import _settings, build_parser

    clip, (_, x) = _over_blur(_tall(t=6), 64, 112, sigma=4.0)
    whole = final(clip, Request(seed=3, settings=Settings().with_(keep_edges=False)))
    assert not any("blurred sides" in n for n in whole.notes)
    framed = final(clip, Request(seed=3))
    assert not np.array_equal(whole.frames, framed.frames)
    for command in ("generate", "retarget"):
        args = build_parser().parse_args([command, "in.mp4", "-o", "out.mp4", "--whole-frame"])
        assert _settings(args).keep_edges is False
        args = build_parser().parse_args([command, "in.mp4", "-o", "out.mp4"])
        assert _settings(args).keep_edges is True

"""The realism score: a copy of the input is realistic (and marked as a copy), a clean
variation scores well, a video with pieces that exist nowhere in the input is flagged."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.errors import Cancelled
from engine.realism import (
    COPY_AT,
    FLAG_ALWAYS,
    FLAG_AT,
    LAYOUT_FLAG_AT,
    SEAMS_FLAG_AT,
    Realism,
    RealismScorer,
    _rows,
    judge_among,
    layout_shift,
    realism,
)
from engine.request import Request
from tests.synth import balloon_scene, final


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    return balloon_scene(t=10, h=64, w=96)


def test_copy_is_realistic_and_marked_as_copy(clip):
    r = realism(clip, clip)
    assert r.score > 99 and not r.flagged and r.near_copy


def test_broken_video_is_flagged_and_scores_lower(clip):
    """Ground pasted into the sky and sky-coloured blobs over the objects: the artifacts
    the score is for."""
    broken = clip.copy()
    h = clip.shape[1]
    broken[:, 5:5 + h // 4, 10:60] = clip[:, -h // 4:, 10:60]  # a band of ground in the sky
    broken[:, 20:40, 50:80] = clip[0, 2, 2]  # a flat blob
    scorer = RealismScorer(clip)
    bad, ok = scorer(broken), scorer(final(clip, Request(seed=0)).frames)
    assert bad.flagged and bad.score < ok.score
    assert not ok.near_copy
    t, y, x = bad.worst  # the worst place is on an artifact
    assert y < 5 + h // 4 + 8 or (20 <= y < 40 and 50 <= x < 80)


def test_deterministic_and_cancellable(clip):
    scorer = RealismScorer(clip)
    out = clip[:, :, ::-1].copy()
    assert scorer(out) == scorer(out)
    with pytest.raises(Cancelled):
        scorer(out, cancel=lambda: True)


def test_the_first_score_of_a_scorer_is_cancellable_in_its_spacing(clip):
    """The source's spacing, computed at the first score, polls the cancel too (seconds on
    a long clip)."""
    polls = []

    def cancel() -> bool:
        polls.append(1)
        return len(polls) > 1

    with pytest.raises(Cancelled):
        RealismScorer(clip)(clip, cancel=cancel)
    assert len(polls) == 2


@pytest.mark.parametrize("colour", [(30, 120, 200), (0, 0, 0), (255, 255, 255)])
def test_a_flat_clip_and_its_copy_are_not_judged_on_rounding(colour):
    """A flat clip's own patches are all equal: its spacing was float32 rounding, and an
    exact copy of a blue clip scored 48, flagged."""
    flat = np.full((6, 40, 64, 3), colour, np.uint8)
    r = RealismScorer(flat)(flat.copy())
    assert r.score > 99 and not r.flagged and r.near_copy


def test_other_output_sizes(clip):
    r = realism(clip, clip[:6, :40, :70].copy())
    assert 0 <= r.score <= 100


def test_a_longer_output_is_judged_with_the_clips_loop_point(clip):
    """An output longer than its clip is drawn from the clip looped, with a clean cut where
    it starts again (engine.pyramid.wrapped): the clip played twice and a half is a copy, not
    a break at each cut (it scored 31 and was flagged); a break stays one."""
    looped = clip[np.arange(25) % len(clip)]
    scorer = RealismScorer(clip)
    r = scorer(looped)
    assert r.score > 99 and not r.flagged and r.near_copy
    broken = looped.copy()
    h = clip.shape[1]
    broken[:, 5:5 + h // 4, 10:60] = looped[:, -h // 4:, 10:60]
    broken[:, 20:40, 50:80] = clip[0, 2, 2]
    assert scorer(broken).flagged


def test_sky_cut_into_the_ground_band_is_flagged(clip):
    """Sky pushed down into a stretch of the ground band is made of real sky patches, so the
    patch ratio cannot see it; the layout term does, and names the bottom of the frame."""
    h, w = clip.shape[1:3]
    top = int(h * 0.78)  # balloon_scene's ground band
    cut = clip.copy()
    cut[:, top:, : w // 3] = clip[:, top - (h - top) - 4:top - 4, : w // 3]  # sky from just above
    scorer = RealismScorer(clip)
    r = scorer(cut)
    assert r.band_cut and r.flagged and r.layout > LAYOUT_FLAG_AT
    assert r.layout_row > 0.75
    assert r.score < scorer(final(clip, Request(seed=0)).frames).score


def test_a_ground_of_every_colour_lost_to_sky_is_flagged():
    """A ground band whose blocks are very unlike each other (a field of balloons of every
    colour) tolerates sky among them by the band's own spread; most of the band's blocks
    fitting the input better at another height than at their own is a cut all the same.
    Seed 0 of this scene lost its ground's right third to sky at its first draw: it is
    drawn again for it (engine/copy_check.py reads the same measure), and no seed ends cut."""
    clip = balloon_scene(t=10, h=64, w=96)
    h, w = clip.shape[1:3]
    top = int(h * 0.78)
    for i, colour in enumerate(np.random.default_rng(3).integers(20, 250, (w // 12, 3))):
        clip[:, top:, i * 12:(i + 1) * 12] = colour
    clip[:, top:, ::3] //= 2
    lost = clip.copy()
    lost[:, top:, : 2 * w // 3] = clip[:, top - (h - top) - 4:top - 4, : 2 * w // 3]
    scorer = RealismScorer(clip)
    assert layout_shift(scorer.rows, lost)[0] < LAYOUT_FLAG_AT  # the band's spread alone
    r = scorer(lost)
    assert r.band_cut and r.flagged and r.layout_row > 0.75
    runs = [final(clip, Request(seed=s)) for s in range(4)]
    assert any("cut a band" in n for n in runs[0].notes)
    assert not any(scorer(r.frames).band_cut for r in runs)


def test_layout_keeps_sideways_moves_and_variations(clip):
    """Moving things along the rows keeps the layout; a clean variation and the input itself
    are not band cuts; an upside-down video is."""
    scorer = RealismScorer(clip)
    assert scorer(clip).layout < 0.05
    assert scorer(np.roll(clip, clip.shape[2] // 3, axis=2)).layout < 0.5
    for seed in (0, 1):
        assert not scorer(final(clip, Request(seed=seed)).frames).band_cut
    assert scorer(clip[:, ::-1].copy()).band_cut


def test_layout_of_other_sizes(clip):
    """A retargeted result is compared row for row at the same fractions of the height."""
    src_rows = _rows(clip)
    wide = np.concatenate([clip, clip[:, :, ::-1]], axis=2)  # twice as wide, same rows
    assert layout_shift(src_rows, wide)[0] < 0.5
    t, h, w, c = clip.shape  # shrunk 8x by area: 8 rows, fewer than the layout's bands
    tiny = clip.reshape(t, h // 8, 8, w // 8, 8, c).mean((2, 4)).round().astype(np.uint8)
    shift, row = layout_shift(src_rows, tiny)
    assert shift < 2.0 and 0 <= row <= 1


def _alone(ratio: float, layout: float = 0.5) -> Realism:
    return Realism(ratio=ratio, score=100 / (1 + (ratio / FLAG_AT) ** 3), flagged=ratio > FLAG_AT,
                   near_copy=ratio < COPY_AT, worst=(0, 0, 0), layout=layout)


def test_judged_among_siblings_flags_the_one_that_stands_out():
    """A clip whose clean variations all score over FLAG_AT (birds: flat sky) has none
    flagged among its siblings; one whose broken variation scores under it (ballet) has
    that one flagged; the ranking stays; the flag sits at 50 on the rescaled score."""
    clean_high = [_alone(r) for r in (1.01, 1.10, 1.22, 1.28, 1.03)]
    assert all(r.flagged for r in clean_high)
    judged = judge_among(clean_high)
    assert not any(r.flagged or r.stands_out for r in judged)
    assert all(r.among == 5 for r in judged) and judged[0].typical == pytest.approx(1.10)
    scores = [r.score for r in judged]
    assert sorted(range(5), key=lambda i: -scores[i]) == sorted(range(5), key=lambda i: clean_high[i].ratio)

    broken_low = [_alone(r) for r in (0.46, 0.32, 0.78, 0.50, 0.52, 0.05)]  # the last a near-copy
    judged = judge_among(broken_low)
    assert [r.flagged for r in judged] == [False, False, True, False, False, False]
    assert judged[2].stands_out and judged[2].score < 50 < judged[3].score
    assert judged[0].typical == pytest.approx(0.50)  # the near-copy is not typical


def test_judged_among_keeps_absolute_limits():
    """Too few varied siblings: each judged alone. A set as broken as its worst member still
    has the ones over FLAG_ALWAYS flagged; a band cut is flagged whatever the siblings."""
    few = [_alone(0.5), _alone(0.9), _alone(0.1), _alone(0.05)]
    assert judge_among(few) == few
    broken = judge_among([_alone(r) for r in (1.6, 1.7, 1.8, 1.9)])
    assert all(r.flagged for r in broken) and broken[0].flag_at == FLAG_ALWAYS
    cut = judge_among([_alone(0.5), _alone(0.5), _alone(0.5), _alone(0.5, layout=LAYOUT_FLAG_AT + 3)])
    assert cut[3].flagged and cut[3].band_cut and not cut[3].stands_out


def test_judged_among_waits_for_siblings_on_their_way():
    """Three clean variations of a flat-sky clip, alone over FLAG_AT, with more on their way:
    none flagged yet, each waiting for the rest; one over FLAG_ALWAYS or with a band cut is
    flagged at once. Nothing more coming (or too little to make up the set): judged alone."""
    first = [_alone(1.05), _alone(1.2), _alone(0.1)]  # the last a near-copy: not counted
    assert all(r.flagged for r in first[:2])
    waiting = judge_among(first, coming=5)
    assert [r.waiting for r in waiting] == [2, 2, 2]
    assert not any(r.flagged for r in waiting)
    assert [r.verdict for r in waiting] == ["waiting", "waiting", "near_copy"]
    assert [r.score for r in waiting] == [r.score for r in first]  # the order by realism holds
    assert judge_among(first, coming=1) == first  # 2 varied + 1 coming: no set of 4 to wait for
    assert judge_among(first) == first
    worst = judge_among([_alone(1.6), _alone(0.5, layout=LAYOUT_FLAG_AT + 3)], coming=4)
    assert [r.verdict for r in worst] == ["flagged", "band_cut"]


def test_faint_seams_are_flagged_alone_and_among_siblings(clip):
    """A variation whose run measured faint seams over SEAMS_FLAG_AT (pale steps between
    copied regions of sky, which the patch ratio does not see) is flagged for them, alone,
    among siblings and while waiting for them; its score falls with them; a patch flag
    says more (a broken object) and wins the badge."""
    scorer = RealismScorer(clip)
    out = final(clip, Request(seed=2)).frames
    plain = scorer(out)
    assert plain.seams == 0.0 and plain.verdict != "seams"
    seamy = scorer(out, seams=SEAMS_FLAG_AT * 1.4)
    assert seamy.flagged and seamy.seamy and seamy.verdict == "seams"
    assert seamy.score == pytest.approx(min(plain.score, 100 / (1 + 1.4 ** 3)))  # the worst side
    assert scorer(out, seams=SEAMS_FLAG_AT * 0.5).score == pytest.approx(min(plain.score, 100 / 1.125))
    clean = [replace(_alone(r), seams=1.0) for r in (0.4, 0.5, 0.45, 0.5)]
    judged = judge_among([*clean, replace(_alone(0.45), seams=SEAMS_FLAG_AT + 2)])
    assert [r.verdict for r in judged] == ["ok"] * 4 + ["seams"]
    assert judged[4].score < 50 < min(r.score for r in judged[:4])
    waiting = judge_among([replace(_alone(0.5), seams=SEAMS_FLAG_AT + 2), _alone(0.5)], coming=4)
    assert [r.flagged for r in waiting] == [True, False]
    assert [r.verdict for r in waiting] == ["seams", "waiting"]
    both = replace(_alone(1.3), seams=SEAMS_FLAG_AT + 2)
    assert both.verdict == "flagged"  # judged alone, its patches are flagged too
    # While it waits for siblings only FLAG_ALWAYS flags patches: the seams are what it has.
    waits = judge_among([replace(_alone(1.1), seams=SEAMS_FLAG_AT + 2), _alone(0.5)], coming=3)
    assert waits[0].verdict == "seams" and not waits[0].looks_broken


def test_a_retarget_and_a_draft_result_are_compared_at_the_scale_they_were_made():
    """A retarget keeps the source's pixel scale whatever its size; a Draft result was made
    from a shrunk copy (`made_at`). Each is shrunk so that its things are as large as the
    source's: a 1.5x larger retarget made of the clip's own patches (a texture tiled) is
    nearer its source at the right scale than shrunk as if it were a Draft copy."""
    from engine.metrics import scaled, to_unit
    from tests.synth import moving_texture

    clip = moving_texture(6, 96, 144)
    scorer = RealismScorer(clip)
    tiled = np.tile(clip, (1, 2, 2, 1))[:, :144, :216]  # 1.5x each way, the clip's own scale
    retarget = scorer(tiled)
    assert retarget.new is None  # no same place to compare at another size
    shrunk = scorer(tiled, made_at=2 / 3)  # as if it were the clip shrunk: wrongly scaled
    assert retarget.ratio < shrunk.ratio and retarget.score > shrunk.score
    half = (scaled(to_unit(clip), 0.5).numpy() * 255).round().astype(np.uint8)  # a Draft copy
    draft = scorer(half, made_at=0.5)
    assert draft.score > 90 and draft.new is not None and draft.new < 0.1


def test_a_taller_variation_is_not_taken_for_a_band_cut():
    """A variation made taller keeps its bands' pixel heights (the ground stays as thick at
    the bottom), so it is not compared at the same fractions of the height alone; a band of
    sky pasted into its ground is still a cut."""
    clip = balloon_scene(t=6, h=48, w=72)
    scorer = RealismScorer(clip)
    taller = final(clip, Request(seed=0, height=96, width=72)).frames  # twice as tall
    r = scorer(taller)
    assert r.layout < LAYOUT_FLAG_AT and r.verdict != "band_cut"
    assert layout_shift(scorer.rows, taller)[0] > LAYOUT_FLAG_AT  # by fractions alone: a "cut"
    cut = taller.copy()
    cut[:, 80:92] = taller[:, 4:16]  # sky over the ground band
    assert scorer(cut).layout > LAYOUT_FLAG_AT


def test_the_worst_place_of_a_thin_output_lies_inside_it():
    """A side shrunk under 7 px is kept at 7 for the score, so it is shrunk less than the
    nominal scale: the worst place, mapped back by that scale, fell outside a banner's frame
    (row 12 of 10)."""
    rng = np.random.default_rng(0)
    source = rng.integers(0, 255, (6, 200, 300, 3), np.uint8)
    scorer = RealismScorer(source)
    for shape in ((6, 10, 300, 3), (6, 200, 12, 3), (6, 12, 150, 3)):
        output = rng.integers(0, 255, shape, np.uint8)
        t, y, x = scorer(output).worst
        assert 0 <= t < shape[0] and 0 <= y < shape[1] and 0 <= x < shape[2], shape

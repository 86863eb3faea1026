"""Analogy and sketch tasks on tiny synthetic clips (engine.tasks.analogy, engine.tasks.sketch)."""

import numpy as np
import pytest

from engine.config import Settings
from engine.errors import Cancelled, InputError
from engine.request import Request
from engine.run import run
from engine.tasks.analogy import guided_count, look_clip_problems, with_task_defaults
from tests.guided_synth import look_clip, moving_square, redness, sketch_frames
from tests.synth import final


def red_x(frames):
    """Per frame, the mean x of B's moving red (NaN where there is none)."""
    red = redness(frames)
    return np.array([np.nonzero(m)[1].mean() if m.any() else np.nan for m in red])


def square_x(frames):
    return np.array([np.nonzero(f[..., 0] > 190)[1].mean() for f in frames])


@pytest.fixture(scope="module")
def clips():
    return moving_square(), look_clip()


def test_square_moving_left_comes_out_moving_left_in_b_colours(clips):
    a, b = clips
    # Guided through the whole pyramid the red follows the square frame by frame.
    out = final(b, Request(task="analogy", guide=a, guide_until=1.0)).frames
    assert out.shape == a.shape
    xs, target = red_x(out), square_x(a)
    assert not np.isnan(xs).any()
    assert xs[-1] < xs[0] - 15  # the square moves 30 px left
    assert np.corrcoef(xs, target)[0, 1] > 0.9
    # The red is in the square's columns (give or take a patch; OpenCV's flow spreads the
    # square's motion below it), not in B's band on the right.
    red, square = redness(out), a[..., 0] > 190
    cols = square.any(1)  # (T, W)
    near = cols.copy()
    for d in range(1, 5):
        near |= np.roll(cols, d, 1) | np.roll(cols, -d, 1)
    assert red.sum(1)[near].sum() / red.sum() > 0.75  # 0.83 measured
    # With the default (the guide steers half the pyramid) it still moves left.
    xs = red_x(final(b, Request(task="analogy", guide=a)).frames)
    assert xs[-1] < xs[0] - 5 and np.all(np.diff(xs) < 0.5)


def test_levels_coarse_to_fine_and_output_follows_a(clips):
    a, b = clips
    b_other = b[:12, :40, :56]  # B of another size and duration
    results = list(run(b_other, Request(task="analogy", guide=a[:8])))
    assert [r.level for r in results] == list(range(1, results[0].levels + 1))
    assert results[-1].frames.shape == (8, *a.shape[1:])
    assert any("steers" in n for n in results[-1].notes)
    sized = final(b, Request(task="analogy", guide=a[:8], width=40, height=30, frames=6))
    assert sized.frames.shape == (6, 30, 40, 3)


def test_seeded_reproducible(clips):
    a, b = clips
    a, b = a[:8, 8:40, 12:52], b[:8, 8:40, 24:64]
    r1 = final(b, Request(task="analogy", guide=a, seed=2)).frames
    r2 = final(b, Request(task="analogy", guide=a, seed=2)).frames
    r3 = final(b, Request(task="analogy", guide=a, seed=3)).frames
    assert np.array_equal(r1, r2)
    assert not np.array_equal(r1, r3)


def test_cancel_stops_the_run(clips):
    a, b = clips
    calls = {"n": 0}

    def cancel():
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(Cancelled):
        list(run(b, Request(task="analogy", guide=a), cancel))


def test_sketch_bar_moving_left(clips):
    _, b = clips
    sk = sketch_frames()
    out = final(b, Request(task="sketch", guide=sk)).frames
    assert out.shape == (len(sk), *b.shape[1:])
    xs = red_x(out)
    ink = np.array([np.nonzero(f[..., 0] == 0)[1].mean() for f in sk])
    assert not np.isnan(xs).any() and xs[-1] < xs[0] - 5
    assert np.corrcoef(xs, ink)[0, 1] > 0.9
    # One image is held still for B's duration (or the frames asked for).
    still = final(b, Request(task="sketch", guide=sk[8:9], frames=6)).frames
    assert still.shape == (6, *b.shape[1:])


def test_a_fast_sketch_is_followed_not_smeared_along_its_path(clips):
    """A bar sliding 3 px a frame (45 px over 16 frames of a 64-px frame): with the coarse
    levels shrunk to the supplementary's 5 frames it was one smear over its path there, and
    B's moving red went from the result altogether (at 2 px a frame from half its frames).
    The coarse levels now keep the frames its motion needs; a slow drawing keeps 5."""
    from engine.tasks.sketch import SKETCH_SETTINGS, Sketch

    _, b = clips
    sk = sketch_frames(step=3, bar=16)
    out = final(b, Request(task="sketch", guide=sk)).frames
    red = redness(out)
    assert red.any(axis=(1, 2)).all()  # on every frame
    xs = red_x(out)
    ink = np.array([np.nonzero(f[..., 0] == 0)[1].mean() for f in sk])
    assert np.corrcoef(xs, ink)[0, 1] > 0.95
    on_ink = (red & (sk[..., 0] == 0)).sum() / red.sum()
    assert on_ink > 0.9  # where the bar is, not along its path
    # How many frames the coarsest level keeps: all for this one, 5 for a drawing that stays.
    for guide, frames in ((sk, len(b)), (np.repeat(sk[:1], len(b), axis=0), 5)):
        task = Sketch(Request(task="sketch", guide=guide))
        task.validate(b)
        assert task.adjust(Settings()).min_frames == frames == max(frames, SKETCH_SETTINGS["min_frames"])


def test_errors(clips):
    a, b = clips
    cases = [
        (Request(task="analogy"), "needs the motion clip"),
        (Request(task="analogy", guide=a[..., 0]), r"\(T, H, W, 3\)"),
        (Request(task="analogy", guide=a[:1]), "one frame"),
        (Request(task="analogy", guide=np.repeat(a[:1], 6, 0)), "no motion"),
        (Request(task="analogy", guide=a, guide_levels=1), "motion levels"),
        (Request(task="analogy", guide=a, look_levels=40), "look levels"),
        (Request(task="analogy", guide=a, guide_until=1.5), "guide-until"),
        (Request(task="sketch", guide=np.full((4, 30, 30, 3), 255, np.uint8)), "no strokes"),
        (Request(task="sketch", guide=sketch_frames(t=8), frames=5), "leave the frame count"),
    ]
    for req, msg in cases:
        with pytest.raises(InputError, match=msg):
            list(run(b, req))
    with pytest.raises(InputError, match="at least 3"):
        list(run(b[:2], Request(task="analogy", guide=a)))
    with pytest.raises(InputError, match="short side"):
        list(run(b[:, :10, :10], Request(task="analogy", guide=a)))
    with pytest.raises(InputError, match="no motion"):
        list(run(np.repeat(b[:1], 6, 0), Request(task="analogy", guide=a)))


def test_look_clip_problems_and_defaults():
    errors, warnings = look_clip_problems((10, 40, 60), (30, 100, 60))
    assert not errors and len(warnings) == 2
    assert look_clip_problems((2, 10, 60), (8, 40, 60))[0]
    assert guided_count(25, 0.5) == 12 and guided_count(25, 1.0) == 25
    assert guided_count(25, 0.0) == 0 and guided_count(3, 0.1) == 1
    s = with_task_defaults(Settings(em_iters=4), {"em_iters": 1, "min_side": 20})
    assert s.em_iters == 4 and s.min_side == 20  # the user's change is kept

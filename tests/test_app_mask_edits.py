"""MaskModel's whole-clip edits (Invert, Clear, Grow, Shrink over all frames): the same layers
as the plain formulas, exact undo and redo, what the history holds, and no temporaries of the
clip's size (they blocked the GUI thread 140-170 ms for an Invert of 16 Full-HD frames)."""

import tracemalloc

import numpy as np
import pytest

from app.inpaint import ops
from app.inpaint.history import Flip
from app.inpaint.mask_model import HOLE, MaskModel
from app.inpaint.render import compose_overlay
from app.state.session import _painted

SHAPE = (6, 90, 120)


def stroke(m: MaskModel, points, kind="remove", radius=9, hardness=0.6, color=(0, 0, 0),
           scope="all", frame=0) -> None:
    m.begin_stroke(frame, kind, radius, hardness, color, scope)
    for x, y in points:
        m.stroke_to(x, y)
    m.end_stroke()


def painted(shape=SHAPE, hints=True) -> MaskModel:
    """Soft remove strokes on every frame and a frame of its own, and a hint colour inside."""
    m = MaskModel(shape)
    stroke(m, [(30, 30), (70, 45), (90, 60)])
    stroke(m, [(20, 70)], frame=4, scope="frame", radius=6)
    if hints:
        stroke(m, [(60, 40), (64, 44)], kind="hint", radius=5, color=(200, 30, 40))
    return m


def layers(m: MaskModel) -> tuple[np.ndarray, np.ndarray]:
    return m.mask.copy(), m.hints.copy()


def same(m: MaskModel, want: tuple[np.ndarray, np.ndarray]) -> bool:
    return np.array_equal(m.mask, want[0]) and np.array_equal(m.hints, want[1])


def check_undo_redo(m: MaskModel, edit) -> tuple[np.ndarray, np.ndarray]:
    """Edit, then undo, redo and undo again: each gives back exactly the layers it should,
    and the marks of the frames with a hole follow. Returns the edited layers."""
    before, marks = layers(m), m.masked_frames()
    assert edit()
    after, after_marks = layers(m), m.masked_frames()
    assert not same(m, before)
    assert m.undo() and same(m, before)
    assert m.masked_frames().tolist() == marks.tolist()
    assert m.redo() and same(m, after)
    assert m.masked_frames().tolist() == after_marks.tolist()
    assert m.undo() and same(m, before)
    assert m.redo() and same(m, after)
    return after


@pytest.mark.parametrize("hints", [False, True])
def test_invert_all_frames_undo_and_redo(hints):
    m = painted(hints=hints)
    before = layers(m)
    after = check_undo_redo(m, lambda: m.invert("all"))
    assert np.array_equal(after[0], 255 - before[0]) and not after[1].any()
    assert m.masked_frames().all()
    assert m.extent() == (slice(0, 6), slice(0, 90), slice(0, 120))
    assert m.invert("all")  # inverting back is a step of its own
    assert same(m, (before[0], np.zeros_like(before[1])))
    assert m.undo() and m.undo() and same(m, before)


def test_invert_keeps_no_copy_of_the_mask_only_the_hint_colours():
    """Invert is its own inverse: the step stores nothing of the mask (it was a copy of
    every frame: 33 MB for 16 Full-HD frames), only the hint colours it clears, inside
    their own box."""
    m = painted(hints=False)
    held = m.history_bytes()
    assert m.invert("all") and m.history_bytes() == held
    atom = m._history.undo[-1]
    assert [type(p) for p in atom.patches] == [Flip] and atom.nbytes == 0
    m.undo()
    assert m.history_bytes() == held and m.redo() and m.history_bytes() == held

    m = painted()
    held = m.history_bytes()
    alpha = m.hints[..., 3]
    hint_box = ops.true_box(alpha)
    hint_bytes = 4 * np.prod([s.stop - s.start for s in hint_box])
    assert m.invert("all")
    assert m.history_bytes() - held == hint_bytes < m.mask.nbytes // 10  # was 5x the mask
    m.undo()
    assert m.history_bytes() == held  # the redo clears them: nothing to keep
    assert m.redo() and m.history_bytes() - held == hint_bytes


def test_an_invert_is_not_dropped_by_the_budget_and_drops_no_older_step():
    m = MaskModel(SHAPE, budget=SHAPE[1] * SHAPE[2])  # less than the clip's mask
    stroke(m, [(30, 30)], scope="frame", frame=1, radius=4)
    first = layers(m)
    assert m.invert("all") and m.invert("all")
    assert m.undo() and m.undo() and same(m, first)
    assert m.undo() and not m.mask.any()  # the stroke before them is still there to undo


def test_invert_of_some_frames_undo_and_redo():
    m = painted()
    before = layers(m)
    after = check_undo_redo(m, lambda: m.invert("range", in_out=(4, 1)))
    assert np.array_equal(after[0][1:5], 255 - before[0][1:5])
    assert np.array_equal(after[0][[0, 5]], before[0][[0, 5]])
    assert np.array_equal(after[1][[0, 5]], before[1][[0, 5]]) and not after[1][1:5].any()
    check_undo_redo(m, lambda: m.invert("frame", frame=0))


@pytest.mark.parametrize("hints", [False, True])
def test_clear_all_frames_undo_and_redo_keeps_the_boxes_apart(hints):
    m = painted(hints=hints)
    held = m.history_bytes()
    mask_box, hint_box = ops.true_box(m.mask), ops.true_box(m.hints[..., 3])
    after = check_undo_redo(m, lambda: m.clear("all"))
    assert not after[0].any() and not after[1].any() and not m.masked_frames().any()

    def size(box):
        return np.prod([s.stop - s.start for s in box]) if box else 0

    # The mask's painted box, and the hint colours' own: not the hints of the mask's box.
    assert m.history_bytes() - held == size(mask_box) + 4 * size(hint_box)


@pytest.mark.parametrize("edit, pixels", [("grow", 5), ("shrink", 3), ("grow", 0),
                                          ("shrink", 0)])
def test_grow_and_shrink_all_frames_undo_and_redo(edit, pixels):
    m = painted()  # soft edges: a Grow makes the hole full (255), a Shrink clears the rest
    check_undo_redo(m, lambda: getattr(m, edit)(pixels, "all"))
    m.invert("all")
    check_undo_redo(m, lambda: getattr(m, edit)(pixels, "all"))


def hard_mask(shape=SHAPE) -> np.ndarray:
    rng = np.random.default_rng(3)
    hole = np.zeros(shape, bool)
    for f in range(shape[0]):
        for _ in range(3):
            y, x, r = rng.integers(10, shape[1] - 10), rng.integers(10, shape[2] - 10), 6
            hole[f, y - r : y + r, x - r : x + r] = True
    hole[2, :, :4] = True  # touching the border
    hole[5] = False  # a frame without a hole
    return hole


@pytest.mark.parametrize("inverted", [False, True])
def test_grow_and_shrink_are_the_disc_formulas_over_every_frame(inverted):
    """A hard mask's Grow is the dilation of the hole by the disc and Shrink its erosion
    (the border not eating into a hole touching it), however large the hole: after an
    Invert it is nearly the whole frame, and the disc is worked out around what is kept."""
    hole = hard_mask()
    hole = ~hole if inverted else hole
    m = MaskModel(SHAPE)
    m.set_arrays(hole)
    assert m.grow(4)
    assert np.array_equal(m.mask >= HOLE, ops.dilate_disc(hole, 4))
    m.undo()
    assert m.shrink(3)
    has = hole.any(axis=(1, 2))
    want = ~ops.dilate_disc(~hole, 3) & has[:, None, None]
    assert np.array_equal(m.mask >= HOLE, want)
    assert np.isin(m.mask, (0, 255)).all()


def test_grow_spreads_hint_colours_into_the_ring_after_an_invert():
    m = MaskModel(SHAPE)
    keep = np.zeros(SHAPE, bool)
    keep[:, 30:60, 40:80] = True
    hints = np.zeros((*SHAPE, 4), np.uint8)
    hints[:, 20:30, 40:50] = (10, 20, 30, 255)  # a hint colour in the hole, beside the keep
    m.set_arrays(~keep, hints)
    before = layers(m)
    after = check_undo_redo(m, lambda: m.grow(3))
    ring = ops.dilate_disc(~keep, 3) & keep
    assert np.array_equal(after[0] >= HOLE, ~keep | ring)
    assert (after[1][:, 30:33, 40:50] == (10, 20, 30, 255)).all()  # spread down into the ring
    assert not after[1][:, 33:].any()
    assert np.array_equal(after[1][:, :30], before[1][:, :30])


def test_a_grow_keeps_only_what_changed_on_each_frame():
    """One piece of the step for each changed frame, its changed box alone (and the hint
    colours apart), not the box of the hole over all frames."""
    m = MaskModel(SHAPE)
    hole = np.zeros(SHAPE, bool)
    hole[0, 10:20, 10:20] = True
    hole[3, 60:80, 90:110] = True  # far from the first: their common box is most of a frame
    m.set_arrays(hole)
    held = m.history_bytes()
    assert m.grow(2)
    atom = m._history.undo[-1]
    assert [p.frames for p in atom.patches] == [slice(0, 1), slice(3, 4)]
    assert m.history_bytes() - held == 14 * 14 + 24 * 24


def peak_bytes(edit) -> int:
    tracemalloc.start()
    try:
        edit()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_whole_clip_edits_make_no_temporaries_of_the_clips_size():
    """The edits work frame by frame: beyond what the undo keeps, a few frames' worth of
    memory at a time, never a layer of the clip (the GUI thread filled and freed three of
    them for an Invert)."""
    shape = (16, 120, 256)
    frame = shape[1] * shape[2]
    m = painted(shape)
    for edit in (lambda: m.invert("all"), m.undo, m.redo, m.undo, lambda: m.grow(6),
                 m.undo, lambda: m.shrink(4), m.undo, lambda: m.clear("all"), m.undo,
                 lambda: m.invert("all"), lambda: m.grow(6), lambda: m.shrink(4), m.undo):
        peak = peak_bytes(edit)
        kept = sum(stack[-1].nbytes for stack in (m._history.undo, m._history.redo) if stack)
        assert peak - kept < 4 * frame, (edit, peak, kept)


def test_dilate_disc_in_is_the_dilation_cut_to_a_box():
    rng = np.random.default_rng(0)
    for _ in range(200):
        h, w, r = int(rng.integers(1, 40)), int(rng.integers(1, 40)), int(rng.integers(0, 7))
        a = rng.random((2, h, w)) < rng.uniform(0, 0.1)
        words = a * rng.integers(1, 2**32, (2, h, w), dtype=np.uint32)
        y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
        ys = slice(y0, int(rng.integers(y0 + 1, h + 1)))
        xs = slice(x0, int(rng.integers(x0 + 1, w + 1)))
        assert np.array_equal(ops.dilate_disc_in(a, r, ys, xs), ops.dilate_disc(a, r)[:, ys, xs])
        assert np.array_equal(ops.dilate_disc_in(words, r, ys, xs),
                              ops.dilate_disc(words, r)[:, ys, xs])
        coverage = (a * 200).astype(np.uint8)
        assert np.array_equal(ops.dilate_disc_in(coverage, r, ys, xs, lambda v: v >= HOLE),
                              ops.dilate_disc(coverage >= HOLE, r)[:, ys, xs])


def test_box_below_and_true_box_at_least():
    layer = np.full((3, 10, 12), 200, np.uint8)
    assert ops.box_below(layer, HOLE) is None and ops.true_box(layer, 201) is None
    layer[1, 2:4, 5:9] = 7
    assert ops.box_below(layer, HOLE) == (slice(1, 2), slice(2, 4), slice(5, 9))
    layer[2, 8, 0] = 250
    assert ops.true_box(layer, 250) == (slice(2, 3), slice(8, 9), slice(0, 1))
    assert ops.true_box(layer[2:], 250) == (slice(0, 1), slice(8, 9), slice(0, 1))


def test_no_hint_colours_left_is_known_so_a_snapshot_skips_the_hints():
    """After an Invert or a Clear of every frame no hint colour is left: a snapshot (what
    the autosave writes) then has no hint layer (it copied 127 MB of zeros after an Invert
    of 16 Full-HD frames); the undo brings them back, and the snapshot's hint layer."""
    m = painted()
    assert _painted(m).hints is not None
    m.invert("all")
    assert not m.hinted and _painted(m).hints is None
    m.undo()
    assert m.hinted and _painted(m).hints is not None and _painted(m).hints[..., 3].any()
    m.invert("frame", frame=2)  # hint colours left on the other frames
    assert m.hinted and m.hints[..., 3].any()
    m.undo()
    m.clear("all")
    assert not m.hinted and _painted(m) is None
    m.undo()
    stroke(m, [(62, 42)], kind="erase", radius=20, hardness=1)  # over the hint colours
    assert not m.hints.any() and m._hint_box() is not None
    m.tight_extent()  # what a save does: the hint colours' box made tight too
    assert m._hint_box() is None
    m.undo()
    assert m._hint_box() is not None and m.invert("all") and not m.hinted


def test_the_overlay_is_the_same_colours_as_the_plain_formula():
    """compose_overlay writes the four channels by one lookup of the coverage: the overlay
    colour with alpha coverage * opacity, hint colours where painted."""
    m = painted()
    m.mask[1, :5] = np.arange(256).repeat(3)[: 5 * 120].reshape(5, 120)
    ys, xs = slice(0, 90), slice(0, 120)
    out = np.zeros((90, 120, 4), np.uint8)
    compose_overlay(out, m, 1, ys, xs, (255, 48, 96), 0.5, False)
    cover, op = m.mask[1].astype(int), 128
    painted_hint = m.hints[1, ..., 3] >= HOLE
    assert painted_hint.any()
    want = np.zeros_like(out)
    want[..., :3] = (255, 48, 96)
    want[..., 3] = cover * op // 255
    want[painted_hint, :3] = m.hints[1][painted_hint, :3]
    want[painted_hint, 3] = cover[painted_hint] * min(255, op * 9 // 5) // 255
    assert np.array_equal(out, want)


def test_a_soft_hint_is_shown_in_its_colour_only_where_the_run_takes_it():
    """A soft Hint inside a Remove hole: its faint rim was drawn in the hint colour, nearly
    opaque, while the run took those pixels as plain hole (at hardness 0 the colour on
    screen covered four times the pixels the run followed)."""
    m = MaskModel((3, 48, 64))
    m.begin_stroke(1, "remove", radius=16, hardness=1.0)
    m.stroke_to(32, 24)
    m.end_stroke()
    m.begin_stroke(1, "hint", radius=10, hardness=0.0, color=(0, 200, 0))
    m.stroke_to(32, 24)
    m.end_stroke()
    out = np.zeros((48, 64, 4), np.uint8)
    compose_overlay(out, m, 1, slice(0, 48), slice(0, 64), (255, 48, 96), 0.5, False)
    shown = (out[..., :3] == (0, 200, 0)).all(-1)
    _, hints = m.as_request_arrays()
    taken = hints[1, ..., 3] > 0
    assert taken.any() and (m.hints[1, ..., 3] > 0).sum() > 2 * taken.sum()  # a wide soft rim
    np.testing.assert_array_equal(shown, taken)

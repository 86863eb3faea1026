"""MaskModel: strokes, scopes, edits, undo atoms and budget, request arrays, PNG round trip."""

import numpy as np
import pytest

from app.inpaint.mask_model import HOLE, MaskModel
from app.inpaint.ops import dilate_disc, segment_coverage

SHAPE = (6, 48, 64)


def stroke(m: MaskModel, points, frame=2, kind="remove", radius=5, hardness=1.0,
           color=(0, 0, 0), scope="frame", in_out=None) -> None:
    m.begin_stroke(frame, kind, radius, hardness, color, scope, in_out)
    for x, y in points:
        m.stroke_to(x, y)
    m.end_stroke()


def test_dab_is_a_disc():
    m = MaskModel(SHAPE)
    stroke(m, [(32, 24)], radius=6)
    hole = m.hole(2)
    yy, xx = np.mgrid[:48, :64]
    dist = np.hypot(xx + 0.5 - 32, yy + 0.5 - 24)
    assert hole[dist <= 5.5].all() and not hole[dist > 6.6].any()
    assert abs(hole.sum() - np.pi * 36) < 0.15 * np.pi * 36
    assert not m.mask[[0, 1, 3, 4, 5]].any()  # scope "frame" touches one frame only


def test_soft_brush_fades():
    m = MaskModel(SHAPE)
    stroke(m, [(32, 24)], radius=10, hardness=0.0)
    row = m.mask[2, 23, 22:33].astype(int)  # from the rim to the centre
    assert row[-1] > 240 and row[0] < 40 and np.all(np.diff(row) >= 0)


def test_fast_drag_leaves_no_gaps():
    m = MaskModel(SHAPE)
    stroke(m, [(2, 4), (60, 44)], radius=1.5)  # two far points, one mouse move
    hole = m.hole(2)
    for x in range(4, 59):
        y = int(4 + (x + 0.5 - 2) * 40 / 58)
        assert hole[y - 1 : y + 2, x].any(), x


def test_erase_and_right_kind_values():
    m = MaskModel(SHAPE)
    stroke(m, [(10, 24), (50, 24)], radius=6)
    stroke(m, [(30, 24)], kind="erase", radius=4)
    hole = m.hole(2)
    assert hole[24, 12] and hole[24, 48] and not hole[24, 29]


def test_one_undo_step_per_stroke_and_redo():
    m = MaskModel(SHAPE)
    stroke(m, [(10, 10), (20, 12), (30, 14)])
    first = m.mask.copy()
    stroke(m, [(40, 30), (50, 35)])
    second = m.mask.copy()
    assert m.undo() and np.array_equal(m.mask, first)
    assert m.can_redo()
    assert m.undo() and not m.mask.any() and not m.can_undo()
    assert not m.undo()
    assert m.redo() and np.array_equal(m.mask, first)
    assert m.redo() and np.array_equal(m.mask, second) and not m.can_redo()
    m.undo()
    stroke(m, [(5, 40)])  # a new stroke drops the redo branch
    assert not m.can_redo()


def test_no_op_stroke_adds_no_step():
    m = MaskModel(SHAPE)
    stroke(m, [(20, 20)], kind="erase")
    assert not m.can_undo()


def test_history_events():
    m = MaskModel(SHAPE)
    marks, history, edits = [], [], []
    m.masked_frames_changed.connect(marks.append)
    m.history_changed.connect(lambda: history.append(1))
    m.edited.connect(lambda: edits.append(1))
    stroke(m, [(20, 20)])
    assert marks[-1].tolist() == [False, False, True, False, False, False]
    assert m.masked_frames().tolist() == marks[-1].tolist()
    assert history and edits == [1]  # one finished edit per stroke, however many moves
    m.undo()
    assert not marks[-1].any() and edits == [1, 1]


def test_budget_drops_oldest_steps():
    m = MaskModel(SHAPE, budget=3 * 64 * 64)  # about three one-tile strokes
    for i in range(6):
        stroke(m, [(8 + 8 * i, 8)], radius=2)  # each stroke inside tile (0, 0)
    assert m.history_bytes() <= m.budget
    undone = 0
    while m.undo():
        undone += 1
    assert 1 <= undone < 6
    assert m.hole(2)[8, 8]  # the oldest stroke can no longer be undone


def test_newest_step_kept_even_over_budget():
    m = MaskModel(SHAPE, budget=10)
    stroke(m, [(20, 20)])
    stroke(m, [(40, 20)])
    assert m.undo() and not m.undo()
    assert m.hole(2)[20, 20] and not m.hole(2)[20, 40]


@pytest.mark.parametrize("scope, in_out, frames", [
    ("frame", None, [2]), ("range", (1, 3), [1, 2, 3]), ("range", (4, 1), [1, 2, 3, 4]),
    ("all", None, [0, 1, 2, 3, 4, 5])])
def test_scopes(scope, in_out, frames):
    m = MaskModel(SHAPE)
    stroke(m, [(30, 20)], scope=scope, in_out=in_out)
    assert np.flatnonzero(m.masked_frames()).tolist() == frames
    m.undo()
    assert not m.mask.any()


def test_hint_colour_lands_in_hints_and_mask():
    m = MaskModel(SHAPE)
    stroke(m, [(20, 20)], kind="hint", color=(10, 200, 30))
    assert m.hole(2)[20, 20]
    assert m.hints[2, 20, 20].tolist() == [10, 200, 30, 255]
    mask, hints = m.as_request_arrays()
    assert mask.dtype == bool and mask.shape == SHAPE
    assert hints.dtype == np.uint8 and hints.shape == (*SHAPE, 4)
    assert hints[2, 20, 20].tolist() == [10, 200, 30, 255]
    assert not hints[~mask].any() and (hints[mask & (hints[..., 3] > 0), 3] == 255).all()
    stroke(m, [(20, 20)], kind="remove", radius=8)  # remove paint takes the colour away
    assert m.hole(2)[20, 20] and m.hints[2, 20, 20, 3] == 0
    assert m.as_request_arrays()[1] is None


def test_request_arrays_without_hints_and_for_in_out():
    m = MaskModel(SHAPE)
    stroke(m, [(20, 20)])
    mask, hints = m.as_request_arrays()
    assert hints is None and mask.shape == SHAPE and mask.sum() == m.hole(2).sum()
    mask[...] = False  # a copy: the model keeps its mask
    assert m.hole(2).any()
    part, _ = m.as_request_arrays(in_out=(2, 4))
    assert part.shape == (3, 48, 64) and part[0].any() and not part[1:].any()


def test_request_arrays_read_only_the_painted_box():
    """The request's arrays are made from the painted box (extent) alone, the rest of the
    range taken as empty: a run of a long or Full-HD clip does not scan every frame on the
    GUI thread. (Values put outside the box behind the model's back are not read.)"""
    m = MaskModel(SHAPE)
    stroke(m, [(20, 20)], frame=2, kind="hint", color=(10, 200, 30), radius=4)
    full_mask, full_hints = m.as_request_arrays()
    m.mask[5, 40:, 50:] = 255  # outside the box: not paint the model knows of
    m.hints[5, 40:, 50:] = 255
    mask, hints = m.as_request_arrays()
    assert np.array_equal(mask, full_mask) and np.array_equal(hints, full_hints)
    assert mask[2, 20, 20] and hints[2, 20, 20].tolist() == [10, 200, 30, 255]
    part, part_hints = m.as_request_arrays(in_out=(3, 5))  # a range without the stroke
    assert part.shape == (3, 48, 64) and not part.any() and part_hints is None


def test_undo_looks_for_holes_inside_the_painted_box_and_writes_no_empty_hints():
    """An undo finds the frames with a hole inside the painted box (extent) alone, and
    does not write zero hints over zero hints (on a Full-HD range both cost the GUI
    thread more than the whole rest of the undo: every pixel read, untouched pages
    faulted in)."""
    from app.inpaint.history import swap

    m = MaskModel((6, 200, 256))  # larger than a tile of the undo atoms (64 px)
    stroke(m, [(20, 20)], scope="all", radius=4)
    stroke(m, [(20, 20)], kind="erase", scope="frame", frame=1, radius=8)
    assert m.masked_frames().tolist() == [True, False, True, True, True, True]
    m.mask[1, 150:, 200:] = 255  # outside the box: not paint the model knows of
    m.undo()  # the erase: frame 1 has its hole back
    assert m.masked_frames().tolist() == [True] * 6
    m.redo()
    assert m.masked_frames().tolist() == [True, False, True, True, True, True]
    atom = m._history.undo[-1]
    assert all(p.hints is None for p in atom.patches)  # a remove stroke: no hint colours
    hints = m.hints.copy()
    hints.flags.writeable = False  # nothing to write there: all zero before and after
    swap(atom, m.mask, hints)


def test_large_layers_are_mapped_zero_pages_not_cleared_memory():
    """A large clip's layers (and a request's arrays) are pages mapped for them, zero until
    painted: after the editor's first run glibc serves such blocks from its heap
    (engine.heap), where np.zeros clears them all at once on the GUI thread (330 MB for a
    16-frame Full-HD clip's two layers) and keeps them resident, painted or not."""
    import mmap

    def mapped(a: np.ndarray) -> bool:
        while a is not None and not isinstance(a, mmap.mmap):
            a = a.obj if isinstance(a, memoryview) else a.base
        return a is not None

    m = MaskModel((4, 540, 960))
    assert mapped(m.mask) and mapped(m.hints)
    assert not m.mask.any() and m.mask.flags.writeable
    stroke(m, [(100, 100)], frame=1, kind="hint", color=(1, 2, 3))
    mask, hints = m.as_request_arrays()
    assert mapped(mask) and mapped(hints) and mask[1, 100, 100] and hints[1, 100, 100, 3] == 255
    assert not mapped(MaskModel(SHAPE).mask)  # small: plain memory


def test_clear_invert_and_undo():
    m = MaskModel(SHAPE)
    stroke(m, [(20, 20)], scope="all")
    before = m.mask.copy()
    assert m.invert(scope="frame", frame=1)
    assert m.hole(1).sum() == 48 * 64 - before[1].__ge__(HOLE).sum()
    assert np.array_equal(m.mask[0], before[0])
    m.undo()
    assert np.array_equal(m.mask, before)
    assert m.clear(scope="range", in_out=(0, 2))
    assert m.masked_frames().tolist() == [False, False, False, True, True, True]
    m.undo()
    assert np.array_equal(m.mask, before)
    assert not MaskModel(SHAPE).clear()  # nothing to clear: no step


def test_paint_brought_back_by_undo_or_redo_is_in_the_extent_after_a_save():
    """A save tightens the painted box (tight_extent); undo and redo put paint back outside
    it, which a later save and Clear must still see."""
    m = MaskModel(SHAPE)
    stroke(m, [(10, 10)], scope="all")
    assert m.clear()
    assert m.tight_extent() is None  # what a save does: nothing painted now
    m.undo()
    painted = m.mask.copy()
    box = m.tight_extent()
    assert box is not None and np.array_equal(m.mask[box], painted[box]) \
        and m.mask[box].sum() == painted.sum()
    stroke(m, [(50, 40)], scope="all")
    m.undo()
    m.tight_extent()  # saved with the second stroke undone
    m.redo()
    full = m.mask.copy()
    assert m.mask[m.tight_extent()].sum() == full.sum()
    assert m.clear() and not m.mask.any()


def test_invert_drops_hint_colours_and_undo_brings_them_back():
    m = MaskModel(SHAPE)
    stroke(m, [(20, 20)], kind="hint", color=(200, 30, 40), scope="all")
    hints = m.hints.copy()
    assert hints[..., 3].any()
    assert m.invert()
    assert not m.hints.any() and m.hole(2)[0, 0] and not m.hole(2)[20, 20]
    m.undo()
    np.testing.assert_array_equal(m.hints, hints)


def test_grow_and_shrink_and_undo():
    m = MaskModel(SHAPE)
    stroke(m, [(32, 24)], radius=6)
    before, area = m.mask.copy(), m.hole(2).sum()
    assert m.grow(3, scope="frame", frame=2)
    assert m.hole(2).sum() > area and m.hole(2)[24, 32 + 8]
    m.undo()
    assert np.array_equal(m.mask, before)
    assert m.shrink(3)
    assert 0 < m.hole(2).sum() < area and not m.hole(2)[24, 32 + 4]
    m.undo()
    assert np.array_equal(m.mask, before)
    assert m.shrink(7) and not m.mask.any()


def test_grow_spreads_hint_colour_and_shrink_keeps_border():
    m = MaskModel(SHAPE)
    stroke(m, [(20, 20)], kind="hint", color=(255, 255, 255), radius=4)
    m.grow(3)
    assert m.hints[2, 20, 26].tolist() == [255, 255, 255, 255]
    m.clear()
    m.begin_stroke(0, "remove", 5, 1.0)
    m.stroke_to(0, 24)  # a hole touching the left border
    m.end_stroke()
    m.shrink(2)
    assert m.hole(0)[24, 0]


def test_dilate_disc_is_round():
    a = np.zeros((1, 21, 21), bool)
    a[0, 10, 10] = True
    d = dilate_disc(a, 4)[0]
    yy, xx = np.mgrid[:21, :21]
    assert np.array_equal(d, np.hypot(yy - 10, xx - 10) <= 4.5)


def test_coverage_off_image_is_none():
    assert segment_coverage((48, 64), (-50, -50), (-40, -40), 3, 1.0) is None


def test_bad_arguments():
    m = MaskModel(SHAPE)
    with pytest.raises(ValueError):
        m.begin_stroke(0, "smudge")
    with pytest.raises(ValueError):
        m.clear(scope="week")
    with pytest.raises(RuntimeError):
        m.stroke_to(1, 1)
    with pytest.raises(ValueError):
        MaskModel((0, 4, 4))


def test_a_black_hint_survives_export_and_import(tmp_path):
    """Black is "not painted" in a hints file: a painted black (the default hint colour) is
    written as a grey of 9, so Import and the CLI still read a hint there, not a plain hole."""
    m = MaskModel(SHAPE)
    stroke(m, [(50, 30)], frame=4, kind="hint", color=(0, 0, 0))
    stroke(m, [(20, 20)], frame=4, kind="hint", color=(0, 0, 200))  # not dark: as painted
    m.export_png(tmp_path / "masks")
    other = MaskModel(SHAPE)
    assert other.import_png(tmp_path / "masks", tmp_path / "masks_hints")
    _, hints = other.as_request_arrays()
    assert hints is not None and hints[4, 30, 50].tolist() == [9, 9, 9, 255]
    assert hints[4, 20, 20].tolist() == [0, 0, 200, 255]


def test_png_round_trip(tmp_path):
    m = MaskModel(SHAPE)
    stroke(m, [(10, 10), (30, 20)], frame=1)
    stroke(m, [(50, 30)], frame=4, kind="hint", color=(250, 240, 10))
    written = m.export_png(tmp_path / "masks")
    assert [p.name for p in written] == ["masks", "masks_hints"]
    assert len(list((tmp_path / "masks").glob("frame_*.png"))) == SHAPE[0]
    other = MaskModel(SHAPE)
    assert other.import_png(tmp_path / "masks", tmp_path / "masks_hints")
    mask, hints = m.as_request_arrays()
    mask2, hints2 = other.as_request_arrays()
    assert np.array_equal(mask, mask2) and np.array_equal(hints, hints2)
    assert other.can_undo()  # an import is one undoable step
    other.undo()
    assert not other.mask.any()

    # The colours erased, then exported again: the earlier colours' folder goes, so an
    # import gives the new mask back, not the erased colours as holes.
    m.clear(scope="frame", frame=4)
    (tmp_path / "masks_hints" / "notes.txt").write_text("mine")  # not only frames: kept
    assert [p.name for p in m.export_png(tmp_path / "masks")] == ["masks"]
    assert (tmp_path / "masks_hints").exists()
    (tmp_path / "masks_hints" / "notes.txt").unlink()
    m.export_png(tmp_path / "masks")
    assert not (tmp_path / "masks_hints").exists()


def test_import_single_frame_and_other_size(tmp_path):
    from app.inpaint import mask_io
    from engine.io import write_video

    img = np.zeros((1, 24, 32, 3), np.uint8)
    img[:, 4:12, 8:16] = 255
    write_video(img, str(tmp_path / "one") + "/", fps=mask_io.PNG_FPS)
    m = MaskModel(SHAPE)
    m.import_png(tmp_path / "one")
    assert m.masked_frames().all()
    assert m.hole(0)[8:24, 16:32].all() and m.hole(3).sum() == 16 * 16


def test_import_wrong_frame_count(tmp_path):
    from engine.errors import InputError
    from engine.io import write_video

    write_video(np.zeros((3, 8, 8, 3), np.uint8), str(tmp_path / "three") + "/",
                fps=25)
    with pytest.raises(InputError):
        MaskModel(SHAPE).import_png(tmp_path / "three")


def test_import_reads_as_the_engine_does(tmp_path):
    """The editor's import shares the engine's reader: a blank mask is fine to paint on, a
    mask of another aspect ratio or frame count is refused with the file's name."""
    from engine.errors import InputError
    from engine.io import write_video

    write_video(np.zeros((1, 24, 32, 3), np.uint8), str(tmp_path / "blank") + "/", fps=25)
    m = MaskModel(SHAPE)
    m.import_png(tmp_path / "blank")
    assert not m.mask.any()
    write_video(np.full((1, 48, 48, 3), 255, np.uint8), str(tmp_path / "square") + "/", fps=25)
    with pytest.raises(InputError, match="aspect ratio"):
        MaskModel(SHAPE).import_png(tmp_path / "square")
    write_video(np.zeros((SHAPE[0] + 2, 48, 64, 3), np.uint8), str(tmp_path / "long") + "/", fps=25)
    with pytest.raises(InputError, match="frames"):
        MaskModel(SHAPE).import_png(tmp_path / "long")


def test_the_state_names_the_content_and_undo_gives_it_back():
    """The layers' state is what names a mask or sketch in a cache key: each edit gives a
    new one, undo and redo give back the one of the content they restore."""
    m = MaskModel((3, 16, 16))
    empty = m.state
    m.set_arrays(np.ones((3, 16, 16), bool))
    painted = m.state
    assert painted != empty
    m.undo()
    assert m.state == empty
    m.redo()
    assert m.state == painted
    m.clear()
    assert m.state not in (empty, painted)
    other = MaskModel((3, 16, 16))
    assert other.state not in (empty, painted, m.state)  # never shared between models


def test_a_ranges_state_ignores_edits_on_other_frames():
    """The inpaint cache key names the mask of the in/out range only: a stroke on another
    frame neither marks the result out of date nor misses the cache."""
    m = MaskModel((6, 16, 16))
    hole = np.zeros((6, 16, 16), bool)
    hole[1, 4:8, 4:8] = True
    m.set_arrays(hole)
    first = m.range_state(0, 3)
    elsewhere = hole.copy()
    elsewhere[5, 2:6, 2:6] = True
    m.set_arrays(elsewhere)
    assert m.range_state(0, 3) == first and m.range_state(4, 5) != first
    m.undo()
    m.undo()
    assert m.range_state(0, 3) != first  # the range's own stroke undone
    m.redo()
    assert m.range_state(0, 3) == first


def test_the_extent_is_made_tight_again_for_a_snapshot():
    """After an Invert and its Undo the extent was the whole clip, and every autosave copied
    all of it; the snapshot's box is the painted one again."""
    m = MaskModel((4, 40, 60))
    hole = np.zeros((4, 40, 60), bool)
    hole[1, 10:20, 30:40] = True
    m.set_arrays(hole)
    m.invert()
    m.undo()
    assert m.extent() == (slice(0, 4), slice(0, 40), slice(0, 60))
    assert m.tight_extent() == (slice(1, 2), slice(10, 20), slice(30, 40))
    m.clear()
    assert m.tight_extent() is None and m.extent() is None


def test_a_remove_or_erase_stroke_wipes_hint_colour_as_a_whole_box_wipe_would():
    """The wipe of hint colour under a Remove or Eraser stroke looks only where the colours
    are (a 400 px brush on all 64 Full-HD frames wrote its whole box, 0.3 s a mouse move):
    the layers come out as the whole-box wipe made them, soft edges and undo included."""
    from app.inpaint import ops

    for kind in ("remove", "erase"):
        m = MaskModel(SHAPE)
        stroke(m, [(20, 20), (30, 24)], kind="hint", color=(10, 200, 30), radius=6, hardness=0.3)
        before = (m.mask.copy(), m.hints.copy())
        mask, hints = m.mask.copy(), m.hints.copy()
        m.begin_stroke(2, kind, radius=9, hardness=0.5, scope="all")
        for x, y in ((12, 30), (26, 21), (40, 28)):
            last = m._stroke.last or (x, y)
            (ys, xs), cover = ops.segment_coverage(SHAPE[1:], last, (x, y), 9, 0.5)
            ops.apply_dab(mask[:, ys, xs], hints[:, ys, xs], cover, kind, np.zeros(3, np.uint8))
            m.stroke_to(x, y)
        m.end_stroke()
        np.testing.assert_array_equal(m.mask, mask)
        np.testing.assert_array_equal(m.hints, hints)
        assert m.hints[..., 3].any() and (m.hints[..., 3] < before[1][..., 3]).any()
        m.undo()
        np.testing.assert_array_equal(m.mask, before[0])
        np.testing.assert_array_equal(m.hints, before[1])

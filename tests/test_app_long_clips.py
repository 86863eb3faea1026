"""Long and large clips on the GUI thread: the mask edits, an import, a project's layers taken
back, the autosave's snapshot and the timeline at 200%, checked by what they allocate, read
and copy (not by time: machines are noisy). On 120 Full-HD frames an import took 3.8 s of
the GUI thread, a project's layers 2.1 s, a Grow or Shrink after an Invert 200 ms, and each
autosave after an Invert copied the whole mask there."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from app.inpaint import ops
from app.inpaint.mask_model import HOLE, MaskModel
from app.state.fingerprint import SourceInfo
from app.state.project_file import LaterLayers, SnapshotStale, load_project, save_project
from app.state.recovery import RecoveryStore
from app.state.session import SessionModel

ROOT = Path(__file__).resolve().parents[1]
# Over ops.MAPPED_BYTES: the layers come from their own mapping, as a real clip's do, and
# only temporaries show in tracemalloc.
SHAPE = (16, 256, 320)
FRAME = SHAPE[1] * SHAPE[2]


def peak_bytes(work) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def moving_blob(shape=SHAPE, keep: bool = False, radius: float = 8) -> np.ndarray:
    """(T, H, W) bool: a disc crossing the frame (keep: everything but it, an Invert's)."""
    t, h, w = shape
    yy, xx = np.ogrid[:h, :w]
    hole = np.stack([(yy - h / 2) ** 2 + (xx - w * (0.1 + 0.8 * f / t)) ** 2 <= radius**2
                     for f in range(t)])
    return ~hole if keep else hole


def hint_layer(shape=SHAPE) -> np.ndarray:
    hints = np.zeros((*shape, 4), np.uint8)
    hints[2:9, 120:136, 100:140] = (200, 30, 40, 255)
    return hints


def check_exact_undo(m: MaskModel, edit) -> None:
    before = m.mask.copy(), m.hints.copy()
    assert edit()
    after = m.mask.copy(), m.hints.copy()
    for step, want in ((m.undo, before), (m.redo, after), (m.undo, before), (m.redo, after)):
        assert step()
        assert np.array_equal(m.mask, want[0]) and np.array_equal(m.hints, want[1])


# -- import (MaskModel.set_arrays) --------------------------------------------------------------
@pytest.mark.parametrize("with_hints", [False, True])
def test_an_import_works_frame_by_frame_with_no_layer_of_the_clips_size(with_hints):
    """The converted layer, the all-zero hints (four times the mask), the comparisons and
    the undo's copy of the clip's changed box were each a layer of the clip or more."""
    m = MaskModel(SHAPE)
    m.set_arrays(moving_blob(keep=True))  # something to replace
    hole, hints = moving_blob(), hint_layer() if with_hints else None
    peak = peak_bytes(lambda: m.set_arrays(hole, hints))
    kept = m._history.undo[-1].nbytes
    assert peak - kept < 4 * FRAME, (peak, kept)
    want = np.where(hole, 255, 0).astype(np.uint8)
    if with_hints:
        want = np.maximum(want, hints[..., 3])
    assert np.array_equal(m.mask, want)
    assert np.array_equal(m.hints, hints if with_hints else np.zeros_like(m.hints))
    assert m.masked_frames().tolist() == (want >= HOLE).any(axis=(1, 2)).tolist()
    check_exact_undo(m, lambda: m.set_arrays(moving_blob(keep=True), hint_layer()))


def test_an_import_reads_the_old_mask_inside_the_painted_box_only():
    """Outside the extent the mask is known to be 0 and is not read: reading pages never
    written faults each one in (160 ms of an import of 120 Full-HD frames). Found by values
    a read would see there (the undo then gives them back), which no read may find."""
    m = MaskModel(SHAPE)
    m.begin_stroke(0, "remove", 6, 1.0, scope="all")
    m.stroke_to(20, 20)
    m.end_stroke()
    assert m.extent()[1].stop < 100
    m.mask[:, 150:160, 200:210] = 7  # never painted, as far as the model knows
    hole = np.zeros(SHAPE, bool)
    hole[:, 140:170, 190:220] = True
    assert m.set_arrays(hole)
    assert m.undo()
    assert not m.mask[:, 140:170, 190:220].any()  # the old values taken as 0, not read


def test_an_import_changes_only_the_frames_it_changes():
    """Each frame's changed box alone: frames left as they were are no part of the step (the
    inpaint cache names a range by the steps that touched it)."""
    m = MaskModel(SHAPE)
    hole = moving_blob()
    m.set_arrays(hole)
    state = m.range_state(0, 7)
    hole[12:, 10:20, 10:20] = True
    assert m.set_arrays(hole)
    assert m.range_state(0, 7) == state and m.range_state(12, 15) != state
    assert [p.frames for p in m._history.undo[-1].patches] == [slice(f, f + 1)
                                                               for f in range(12, 16)]


# -- Grow / Shrink -------------------------------------------------------------------------------
@pytest.mark.parametrize("edit", ["grow", "shrink"])
def test_a_grow_or_shrink_after_an_invert_copies_only_near_the_part_kept(edit):
    """After an Invert the hole is nearly every pixel: a Grow changes only pixels near the
    small part kept, a Shrink too. No frame is copied whole (it was, with its comparison
    and its hole bytes, at every frame: 200 ms of 120 Full-HD frames; 2-3.5 frames here)."""
    m = MaskModel(SHAPE)
    m.set_arrays(moving_blob(keep=True))
    peak = peak_bytes(lambda: getattr(m, edit)(4))
    kept = m._history.undo[-1].nbytes
    assert peak - kept < FRAME // 2, (peak, kept)
    want = ops.dilate_disc(moving_blob(keep=True), 4) if edit == "grow" else \
        ~ops.dilate_disc(moving_blob(), 4)
    assert np.array_equal(m.mask >= HOLE, want)
    assert np.isin(m.mask, (0, 255)).all()
    m.undo()
    check_exact_undo(m, lambda: getattr(m, edit)(4))


@pytest.mark.parametrize("edit", ["grow", "shrink"])
def test_a_grow_or_shrink_of_a_moving_hole_works_in_each_frames_own_box(edit, monkeypatch):
    """The box of a frame is around its own hole, not around the hole of every frame (a
    disc crossing the frame: that box is most of it)."""
    m = MaskModel(SHAPE)
    hole = moving_blob(radius=10)
    m.set_arrays(hole)
    boxes = []
    edit_box = m._edit_box
    monkeypatch.setattr(m, "_edit_box", lambda fs, ys, xs, *rest: (
        boxes.append((fs, ys, xs)), edit_box(fs, ys, xs, *rest))[1])
    assert getattr(m, edit)(3)
    assert [fs.start for fs, _, _ in boxes] == list(range(SHAPE[0]))
    for fs, ys, xs in boxes:
        _, hy, hx = ops.true_box(hole[fs])
        assert hy.start - 7 <= ys.start and ys.stop <= hy.stop + 7
        assert hx.start - 7 <= xs.start and xs.stop <= hx.stop + 7
    want = ops.dilate_disc(hole, 3) if edit == "grow" else ~ops.dilate_disc(~hole, 3)
    assert np.array_equal(m.mask >= HOLE, want)


def test_the_undo_of_a_clear_copies_nothing():
    """Undoing a Clear puts the old values back where the mask is all 0: what redoes it
    stores nothing (the copy of those zeros was the whole clip's mask after an Invert,
    300-500 ms of 120 Full-HD frames), and the redo is exact."""
    m = MaskModel(SHAPE)
    m.set_arrays(moving_blob(keep=True), hint_layer())
    before = m.mask.copy(), m.hints.copy()
    assert m.clear("all")
    held = m.history_bytes()
    assert peak_bytes(m.undo) < FRAME
    assert m.history_bytes() < held and m._history.redo[-1].patches[0].nbytes == 0
    assert np.array_equal(m.mask, before[0]) and np.array_equal(m.hints, before[1])
    check_exact_undo(m, m.redo)


# -- a project's layers taken back (MaskModel.load, session.restore, load_project) ---------------
def painted_model() -> MaskModel:
    m = MaskModel(SHAPE)
    m.set_arrays(moving_blob(), hint_layer())
    return m


def test_load_copies_the_saved_box_only_into_new_layers():
    src = painted_model()
    box = src.extent()
    m = MaskModel(SHAPE)
    m.set_arrays(moving_blob(keep=True))  # older paint: gone after the load
    mask, hints = src.mask.copy(), src.hints.copy()
    peak = peak_bytes(lambda: m.load(mask, hints))  # the box found, by reductions
    # a frame of the hint colours' words (4 bytes a pixel) at most; the whole clip was
    # compared and scanned (112 frames' worth here)
    assert peak < 6 * FRAME, peak
    assert np.array_equal(m.mask, src.mask) and np.array_equal(m.hints, src.hints)
    assert m.masked_frames().tolist() == src.masked_frames().tolist()
    assert not m.can_undo() and m.hinted
    m.load(np.zeros(SHAPE, np.uint8), None)
    assert m.is_empty() and not m.hinted and m.extent() is None
    mask[:, :, :2] = 9  # outside the box given: taken as 0, not read
    m.load(mask, hints, box)
    assert np.array_equal(m.mask, src.mask) and np.array_equal(m.hints, src.hints)


class _Clip:
    """What SessionModel.set_clip and restore read of a clip (no frames kept)."""

    def __init__(self, shape) -> None:
        self.frames = np.broadcast_to(np.zeros(1, np.uint8), (*shape, 3))
        self.length, self.height, self.width = shape


def session_for(shape=SHAPE) -> SessionModel:
    s = SessionModel()
    t, h, w = shape
    s.set_clip(_Clip(shape), SourceInfo(path="/clips/long.mp4", size=1, digest="0",
                                       frames=t, height=h, width=w))
    return s


def test_a_project_without_hint_colours_is_taken_back_with_no_hint_layer(tmp_path):
    """The file holds the painted crop: reading it makes layers of the clip's size that take
    no memory until written, and restoring it copies the crop alone (an all-zero hint layer
    was made, four times the mask, and the whole clip copied: 2.1 s of 120 Full-HD
    frames)."""
    s = session_for()
    s.mask.set_arrays(moving_blob())
    save_project(s.snapshot(), tmp_path / "p.vgpnn")
    box = s.mask.extent()
    crop_bytes = np.prod([b.stop - b.start for b in box])
    peak = peak_bytes(lambda: load_project(tmp_path / "p.vgpnn"))
    assert peak < 3 * crop_bytes + FRAME, (peak, crop_bytes)  # not the clip's layers
    data = load_project(tmp_path / "p.vgpnn")
    again = session_for()
    peak = peak_bytes(lambda: again.restore(data, again.clip, again.source, None))
    assert peak < FRAME, peak
    assert np.array_equal(again.mask.mask, s.mask.mask) and not again.mask.hinted
    assert again.mask.masked_frames().tolist() == s.mask.masked_frames().tolist()
    assert data.inpaint.box == box and not data.inpaint.hints_saved and data.sketch is None


def test_has_hints_looks_inside_the_hint_colours_box_only():
    m = painted_model()
    assert peak_bytes(m.has_hints) < FRAME
    assert m.has_hints()
    m.invert("all")
    assert not m.has_hints()


# -- the autosave's snapshot ----------------------------------------------------------------------
def test_an_autosave_snapshot_copies_the_layers_on_the_writing_thread(tmp_path):
    """snapshot(later=True) only pins the layers (after an Invert the copy was the whole
    mask, 110 ms of the GUI thread at every autosave of 120 Full-HD frames, 770 ms the
    first); the writing thread copies them, and writes what an eager snapshot writes."""
    s = session_for()
    s.mask.set_arrays(moving_blob(), hint_layer())
    s.mask.invert("all")
    s.sketch.set_arrays(moving_blob())
    peak = peak_bytes(lambda: s.snapshot(later=True))
    assert peak < FRAME // 8, peak
    later = s.snapshot(later=True)
    assert isinstance(later.inpaint, LaterLayers)
    save_project(later, tmp_path / "later.vgpnn")
    save_project(s.snapshot(), tmp_path / "now.vgpnn")
    a, b = load_project(tmp_path / "later.vgpnn"), load_project(tmp_path / "now.vgpnn")
    for kind in ("inpaint", "sketch"):
        assert np.array_equal(getattr(a, kind).mask, getattr(b, kind).mask)
        assert np.array_equal(getattr(a, kind).hints, getattr(b, kind).hints)
        assert getattr(a, kind).box == getattr(b, kind).box
    assert session_for().snapshot(later=True).inpaint is None  # nothing painted


EDITS = {
    "stroke": lambda m: (m.begin_stroke(0, "remove", 4, 1.0), m.stroke_to(30, 30)),
    "invert": lambda m: m.invert("all"),
    "clear": lambda m: m.clear("all"),
    "grow": lambda m: m.grow(2),
    "shrink": lambda m: m.shrink(2),
    "import": lambda m: m.set_arrays(moving_blob(keep=True)),
    "set_box": lambda m: m.set_box(3, slice(0, 8), slice(0, 8), np.full((8, 8), 255, np.uint8),
                                   None, "box"),
    "undo": lambda m: m.undo(),
    "redo": lambda m: (m.undo(), m.redo()),
    "load": lambda m: m.load(m.mask.copy(), None),
    "reset": lambda m: m.reset(SHAPE),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_snapshot_copied_after_any_write_is_stale_and_writes_nothing(edit, tmp_path):
    """The copy on the writing thread may overlap a write on the GUI thread: any write
    since the snapshot makes it stale (no file, rather than a torn mask)."""
    s = session_for()
    s.mask.set_arrays(moving_blob(), hint_layer())
    data = s.snapshot(later=True)
    EDITS[edit](s.mask)
    with pytest.raises(SnapshotStale):
        save_project(data, tmp_path / "p.vgpnn")
    assert not list(tmp_path.iterdir())


def test_the_autosave_writes_again_after_a_stale_snapshot(qtbot, tmp_path):
    """A stale write is skipped; the next tick writes even when no edit followed (a stroke
    that changed nothing in the end leaves the revision as it was)."""
    from PySide6.QtWidgets import QWidget

    from app.window.autosave import AutosaveController

    class Sync:
        def commit(self) -> None:
            pass

    class Messages:
        def status(self, *args) -> None:
            raise AssertionError(args)

    s = session_for()
    window = QWidget()
    qtbot.addWidget(window)
    store = RecoveryStore(tmp_path)
    autosave = AutosaveController(s, Sync(), store, None, Messages(), window)
    autosave._timer.stop()
    autosave._batch.stop()
    s.mask.set_arrays(moving_blob())
    pinned = s.mask.copy_later()

    def stale_once() -> None:  # what a write on the GUI thread during the copy does
        store.write = original
        s.mask._wrote()
        return original(data)

    original = store.write
    data = s.snapshot(later=True)
    store.write = lambda _: stale_once()
    assert autosave.write_now()
    store.wait()
    assert not store.path.exists()
    with pytest.raises(SnapshotStale):
        pinned()
    assert autosave.write_now()  # the same revision: written again, not skipped
    store.wait()
    assert np.array_equal(load_project(store.path).inpaint.mask, s.mask.mask)
    assert not autosave.write_now()  # now it is written
    autosave.shutdown()


# -- the timeline at 200% ---------------------------------------------------------------------------
TIMELINE_CHILD = r"""
import numpy as np
from PySide6.QtWidgets import QApplication

app = QApplication([])
from app.widgets.timeline import HOVER_PX, LINE_PX, Timeline

timeline = Timeline()
timeline.resize(600, 120)
timeline.show()
timeline.set_clip(np.zeros((8, 18, 32, 3), np.uint8), 25.0)
ratio = timeline.devicePixelRatioF()
lines = (timeline._in_line, timeline._out_line)
print(ratio, timeline.playhead.pen.widthF() / LINE_PX,
      *(line.pen.widthF() / LINE_PX for line in lines),
      *(line.hoverPen.widthF() / HOVER_PX for line in lines))
"""


@pytest.mark.parametrize("scale", ["1", "2"])
def test_the_playhead_is_as_thick_on_screen_at_200_percent(scale):
    """pyqtgraph's pens are cosmetic, their widths in the screen's pixels: at 200% the
    playhead and the IN / OUT lines were half as thick as at 100%."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": scale}
    r = subprocess.run([sys.executable, "-c", TIMELINE_CHILD], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    ratio, *widths = map(float, r.stdout.split()[-6:])
    assert ratio == float(scale) and widths == [ratio] * 5, r.stdout


# -- Grow / Shrink by OpenCV, exactly the disc formulas -------------------------------------------
def disc_offsets(radius: int) -> list[tuple[int, int]]:
    """The disc's offsets: within radius + 0.5 (dy² + dx² <= r² + r)."""
    return [(dy, dx) for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1)
            if dy * dy + dx * dx <= radius * radius + radius]


def brute_dilate(a: np.ndarray, radius: int) -> np.ndarray:
    """Max of (T, H, W) over the disc, one shifted copy per offset (0 outside: no part)."""
    t, h, w = a.shape
    pad = np.zeros((t, h + 2 * radius, w + 2 * radius), a.dtype)
    pad[:, radius : radius + h, radius : radius + w] = a
    out = np.zeros_like(a)
    for dy, dx in disc_offsets(radius):
        np.maximum(out, pad[:, radius + dy : radius + dy + h, radius + dx : radius + dx + w],
                   out=out)
    return out


def brute_grow(mask: np.ndarray, hints: np.ndarray, radius: int):
    hole = mask >= HOLE
    grown = brute_dilate(hole, radius)
    ring = grown & ~hole
    words = brute_dilate(np.ascontiguousarray(hints).view(np.uint32)[..., 0], radius)
    new_hints = hints.copy()
    new_hints[ring] = words[ring][:, None].view(np.uint8)
    new_hints[ring & (new_hints[..., 3] > 0), 3] = 255
    return np.where(grown, 255, mask).astype(np.uint8), new_hints


def brute_shrink(mask: np.ndarray, hints: np.ndarray, radius: int):
    gone = brute_dilate(mask < HOLE, radius)
    gone &= (mask >= HOLE).any(axis=(1, 2))[:, None, None]  # frames with no hole: left
    new_hints = hints.copy()
    new_hints[gone] = 0
    return np.where(gone, 0, mask).astype(np.uint8), new_hints


@pytest.mark.parametrize("seed", range(4))
def test_grow_and_shrink_are_the_disc_formulas_bit_for_bit(seed):
    """Soft coverage, hint colours and discs of every size OpenCV's paths take (its disc
    kernel, the rectangles of a larger one): the same bytes as the formulas, and the same
    frames marked (a Shrink can take a frame's whole hole)."""
    rng = np.random.default_rng(seed)
    shape = (5, 48, 61)
    for radius in (0, 1, 2, 3, 4, 6, 9, 14):
        blobs = brute_dilate(rng.random(shape) < 0.004, int(rng.integers(1, 6)))
        mask = np.where(blobs, rng.choice([128, 200, 255], shape),
                        rng.choice([0, 0, 40], shape)).astype(np.uint8)
        if seed % 2:
            mask = 255 - mask  # an Invert's: the part kept is small
        mask[3] = np.where(mask[3] >= HOLE, 0, mask[3])  # a frame with no hole
        mask[4, 20:23, 30:32] = 255  # one a Shrink empties
        mask[4, :20] = mask[4, 23:] = 0
        mask[4, :, :30] = mask[4, :, 32:] = 0
        hints = np.zeros((*shape, 4), np.uint8)
        hints[:, 10:14, 20:26] = (*rng.integers(1, 255, 3), 255)
        hints[:, 30:32, 40:44] = (9, 8, 7, 130)
        np.maximum(mask, hints[..., 3], out=mask)  # a hint colour is a hole
        for edit, brute in (("grow", brute_grow), ("shrink", brute_shrink)):
            m = MaskModel(shape)
            m.set_arrays(mask, hints)
            before = m.mask.copy(), m.hints.copy(), m.masked_frames().tolist()
            changed = getattr(m, edit)(radius)
            want_mask, want_hints = brute(mask, hints, radius)
            assert np.array_equal(m.mask, want_mask), (edit, radius)
            assert np.array_equal(m.hints, want_hints), (edit, radius)
            assert changed == (not np.array_equal(want_mask, mask)
                               or not np.array_equal(want_hints, hints))
            assert m.masked_frames().tolist() == (want_mask >= HOLE).any(axis=(1, 2)).tolist()
            if changed:  # the undo puts back every byte, and which frames have a hole
                assert m.undo() and np.array_equal(m.mask, before[0])
                assert np.array_equal(m.hints, before[1])
                assert m.masked_frames().tolist() == before[2]
                assert m.redo() and np.array_equal(m.mask, want_mask)


@pytest.mark.parametrize("radius", [1, 3, 4, 8, 13, 40])
def test_dilate_disc_is_the_brute_disc(radius):
    rng = np.random.default_rng(radius)
    a = rng.random((2, 70, 90)) < 0.01
    coverage = (rng.random((2, 70, 90)) * 255).astype(np.uint8)
    assert np.array_equal(ops.dilate_disc(a, radius), brute_dilate(a, radius))
    assert np.array_equal(ops.dilate_disc(coverage, radius), brute_dilate(coverage, radius))
    hole = np.where(a, 255, 0).astype(np.uint8)[0]
    assert np.array_equal(ops.erode_plane(hole, radius),
                          255 - brute_dilate(255 - hole[None], radius)[0])


@pytest.mark.parametrize("edit", ["grow", "shrink"])
def test_a_grow_or_shrink_looks_only_at_frames_with_a_hole(edit):
    """Frames known to have no hole are not read (after an Invert, a pass over each frame
    is what a Grow costs most; which frames have a hole is kept edit by edit), and which
    frames have one is known after the edit without a pass over the clip."""
    m = MaskModel(SHAPE)
    hole = moving_blob(keep=True)
    hole[8:] = False
    m.set_arrays(hole)
    m.mask[10, 100:110, 100:110] = 255  # a hole the model knows nothing of: not read
    reads = []
    refresh = m._refresh_masked
    m._refresh_masked = lambda fs, now=None: (reads.append(now is None), refresh(fs, now))
    assert getattr(m, edit)(3)
    assert reads == [False]
    assert (m.mask[10, 100:110, 100:110] == 255).all() and not m.mask[10, 96:100].any()
    assert m.masked_frames().tolist() == [True] * 8 + [False] * 8

"""A project's layers taken back without a copy: the arrays a project open (or a recovery)
reads are made for that open alone, and become the session's layers as they are (copying
a whole-clip Full-HD mask took 170 ms of the GUI thread, freeing the arrays read 40 ms
more). A restore not handed the data copies it and never aliases it; the reader finds the
frames with a hole and the hint colours on its own thread; the layers replaced are let go
of on a thread of their own (unmapping a painted whole-clip mask and its hints: 70 ms).

The worker's reads are recorded from the worker itself (a thread-safe list), never through
a Qt slot replaced by a plain function."""

from __future__ import annotations

import threading
import weakref
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from app.inpaint import ops
from app.inpaint.mask_model import HOLE, MaskModel
from app.state.project_file import load_project, save_project
from app.window import autosave as autosave_module
from app.window import projects as projects_module
from app.window import prompts
from tests.test_app_long_clips import SHAPE, hint_layer, moving_blob, session_for
from tests.test_app_save_worker import paint


@pytest.fixture
def window(draft_window):
    return draft_window


def painted_session(shape=SHAPE):
    """A mask with a hint colour and a soft stroke (coverage below a hole), and a sketch."""
    s = session_for(shape)
    hole = moving_blob(shape)
    hole[-1] = False
    s.mask.set_arrays(hole, hint_layer(shape))
    soft = np.full((10, 10), HOLE - 28, np.uint8)  # coverage below a hole: no hole there
    assert s.mask.set_box(shape[0] - 1, slice(10, 20), slice(10, 20), soft, None, "soft")
    s.sketch.set_arrays(moving_blob(shape, radius=5))
    return s


def let_go_joined() -> None:
    """Until the layers replaced so far are let go of."""
    for th in threading.enumerate():
        if th.name == "vgpnn-let-go":
            th.join()


def same_layers(a: MaskModel, b: MaskModel) -> None:
    assert np.array_equal(a.mask, b.mask) and np.array_equal(a.hints, b.hints)
    assert a.masked_frames().tolist() == b.masked_frames().tolist()
    assert a.hinted == b.hinted


# -- the reader ----------------------------------------------------------------------------------
def test_the_reader_finds_the_frames_with_a_hole_and_the_hint_colours(tmp_path):
    s = painted_session()
    save_project(s.snapshot(), tmp_path / "p.vgpnn")
    data = load_project(tmp_path / "p.vgpnn")
    for layers, model in ((data.inpaint, s.mask), (data.sketch, s.sketch)):
        assert layers.masked.tolist() == (layers.mask.max(axis=(1, 2)) >= HOLE).tolist()
        assert layers.masked.tolist() == model.masked_frames().tolist()
        assert layers.hints_saved == bool(ops.rgba_words(layers.hints).any()) == model.hinted
        assert np.array_equal(layers.mask, model.mask)
        assert np.array_equal(layers.hints, model.hints)
    assert not data.inpaint.masked[-1] and data.inpaint.mask[-1].any()  # the soft stroke


# -- MaskModel.load(take=...) ---------------------------------------------------------------------
def test_load_takes_the_arrays_handed_over_as_the_layers():
    src = MaskModel(SHAPE)
    src.set_arrays(moving_blob(), hint_layer())
    box = src.extent()
    mask, hints = ops.zeros(SHAPE, np.uint8), ops.zeros((*SHAPE, 4), np.uint8)
    mask[box], hints[box] = src.mask[box], src.hints[box]
    m = MaskModel(SHAPE)
    m.set_arrays(moving_blob(keep=True))  # older paint, and an undo step: gone after
    m.load(mask, hints, box, take=True)
    assert m.mask is mask and m.hints is hints
    assert np.shares_memory(m._words, hints)  # the hint colours' words are a view of them
    same_layers(m, src)
    assert m.extent() == box and not m.can_undo() and not m.can_redo()
    # the lazily-zeroed rest of the arrays is the layers' too: edits there undo exactly
    before = mask.copy(), hints.copy()
    assert m.invert("all")
    assert m.undo()
    assert np.array_equal(m.mask, before[0]) and np.array_equal(m.hints, before[1])
    assert m.redo() and (m.mask[:, :2, :2] == 255).all()


def test_load_given_what_the_reader_found_does_not_look_again():
    src = MaskModel(SHAPE)
    src.set_arrays(moving_blob(), hint_layer())
    box = src.extent()
    masked = np.zeros(SHAPE[0], bool)
    masked[1] = True  # (not the layers': shows it is not found again)
    m = MaskModel(SHAPE)
    m.load(src.mask.copy(), src.hints.copy(), box, masked=masked, hinted=True, take=True)
    assert m.masked_frames().tolist() == masked.tolist() and m.hinted
    with pytest.raises(ValueError):
        m.load(src.mask.copy(), None, box, masked=np.zeros(3, bool))


@pytest.mark.parametrize("kind", ["read-only", "strided", "int16"])
def test_load_copies_arrays_that_cannot_be_layers_as_they_are(kind):
    src = MaskModel(SHAPE)
    src.set_arrays(moving_blob(), hint_layer())
    mask = src.mask.copy()
    if kind == "read-only":
        mask = np.frombuffer(mask.tobytes(), np.uint8).reshape(SHAPE)
    elif kind == "strided":
        mask = np.repeat(mask, 2, axis=2)[:, :, ::2]
    else:
        mask = mask.astype(np.int16)
    m = MaskModel(SHAPE)
    m.load(mask, src.hints.copy(), take=True)
    assert not np.shares_memory(m.mask, mask)
    assert np.array_equal(m.mask, src.mask)


def test_load_without_take_never_aliases_the_arrays_given():
    src = MaskModel(SHAPE)
    src.set_arrays(moving_blob(), hint_layer())
    mask, hints = src.mask.copy(), src.hints.copy()
    m = MaskModel(SHAPE)
    m.load(mask, hints, src.extent())
    assert not np.shares_memory(m.mask, mask) and not np.shares_memory(m.hints, hints)
    m.invert("all")
    m.clear("all")
    assert np.array_equal(mask, src.mask) and np.array_equal(hints, src.hints)


# -- SessionModel.restore(take=...) ---------------------------------------------------------------
def test_a_restore_handed_the_data_takes_its_layers_and_leaves_it_none(tmp_path):
    s = painted_session()
    save_project(s.snapshot(), tmp_path / "p.vgpnn")
    data = load_project(tmp_path / "p.vgpnn")
    read = {kind: (getattr(data, kind).mask, getattr(data, kind).hints, getattr(data, kind).box)
            for kind in ("inpaint", "sketch")}
    again = session_for()
    assert again.restore(data, again.clip, again.source, None, take=True) == []
    assert data.inpaint is None and data.sketch is None  # handed over: nothing aliases them
    for kind, model, want in (("inpaint", again.mask, s.mask), ("sketch", again.sketch, s.sketch)):
        mask, hints, box = read[kind]
        assert np.shares_memory(model.mask, mask)
        assert np.shares_memory(model.hints, hints) == want.hinted  # none saved: its own
        same_layers(model, want)
        assert model.extent() == box and not model.can_undo()
    assert not again.dirty
    again.mask.begin_stroke(3, "remove", 5, 1.0)
    again.mask.stroke_to(10, 10)
    again.mask.end_stroke()
    assert again.dirty and again.mask.can_undo()


def test_a_restore_not_handed_the_data_copies_it(tmp_path):
    """The caller still holds the data: editing the session must not change it."""
    s = painted_session()
    save_project(s.snapshot(), tmp_path / "p.vgpnn")
    data = load_project(tmp_path / "p.vgpnn")
    kept = [(layers.mask.copy(), layers.hints.copy()) for layers in (data.inpaint, data.sketch)]
    again = session_for()
    again.restore(data, again.clip, again.source, None)
    same_layers(again.mask, s.mask)
    for model in (again.mask, again.sketch):
        assert model.invert("all") and model.clear("all")
    for layers, (mask, hints) in zip((data.inpaint, data.sketch), kept, strict=True):
        assert not np.shares_memory(layers.mask, again.mask.mask)
        assert not np.shares_memory(layers.mask, again.sketch.mask)
        assert np.array_equal(layers.mask, mask) and np.array_equal(layers.hints, hints)


def test_a_restore_on_a_clip_of_another_size_takes_nothing(tmp_path):
    s = painted_session()
    save_project(s.snapshot(), tmp_path / "p.vgpnn")
    data = load_project(tmp_path / "p.vgpnn")
    shorter = session_for((SHAPE[0] - 1, *SHAPE[1:]))
    notes = shorter.restore(data, shorter.clip, shorter.source, None, take=True)
    assert sum("not loaded" in n for n in notes) == 2
    assert shorter.mask.is_empty() and shorter.sketch.is_empty()
    assert data.inpaint is None and data.sketch is None


# -- the layers replaced ----------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["reset", "load"])
def test_the_layers_replaced_are_let_go_of_on_another_thread(how):
    m = MaskModel(SHAPE)
    m.set_arrays(moving_blob(keep=True), hint_layer())
    freed: list[str] = []
    for layer in (m.mask, m.hints):
        weakref.finalize(layer, lambda: freed.append(threading.current_thread().name))
    del layer  # the model's were the last references
    if how == "reset":
        m.reset(SHAPE)
    else:
        m.load(ops.zeros(SHAPE, np.uint8), None, take=True)
    let_go_joined()
    assert freed == ["vgpnn-let-go"] * 2
    assert m.is_empty() and not m.can_undo() and not m.mask.any()


# -- through the window: open and recover -----------------------------------------------------------
class Reads:
    """load_project as a module calls it, each result recorded with its layers as read (on
    the reading thread: a list's append is thread-safe)."""

    def __init__(self, monkeypatch, module) -> None:
        self.got: list[tuple] = []
        monkeypatch.setattr(module, "load_project", self)

    def __call__(self, path):
        data = load_project(path)
        self.got.append((data, data.inpaint.mask, data.inpaint.hints))
        return data


def paint_model(window) -> None:
    """test_app_save_worker's stroke on every frame, and a hint colour on frame 1."""
    paint(window)
    m = window.session.mask
    m.begin_stroke(1, "hint", 3, 1.0, (200, 30, 40))
    m.stroke_to(12, 12)
    m.end_stroke()


def test_an_opened_project_holds_the_layers_its_worker_read(window, qtbot, tmp_path,
                                                             monkeypatch):
    paint_model(window)
    s = window.session
    want = s.mask.mask.copy(), s.mask.hints.copy(), s.mask.masked_frames()
    target = tmp_path / "p.vgpnn"
    monkeypatch.setattr(prompts, "choose_project_to_save",
                        lambda parent, suggested, caption="": target)
    assert window.projects.save_as() and window.projects.wait()
    reads = Reads(monkeypatch, projects_module)
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.projects.open_project(target)
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=5000)
    (data, mask, hints), = reads.got
    assert data.inpaint is None  # handed over
    assert np.shares_memory(s.mask.mask, mask) and np.shares_memory(s.mask.hints, hints)
    assert np.array_equal(s.mask.mask, want[0]) and np.array_equal(s.mask.hints, want[1])
    assert s.mask.masked_frames().tolist() == want[2].tolist()
    assert not s.dirty and not s.mask.can_undo() and s.project_path == target.resolve()


def test_recovered_work_holds_the_layers_read(window, qtbot, tmp_path, monkeypatch):
    paint_model(window)
    s = window.session
    want = s.mask.mask.copy(), s.mask.hints.copy()
    old = tmp_path / "session-1-2.vgpnn"  # a dead editor's recovery file
    save_project(s.snapshot(project_path=None), old)
    window.session.mark_saved()  # its own would only repeat it
    reads = Reads(monkeypatch, autosave_module)
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        assert window.autosave.recover(old)
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=5000)
    (data, mask, hints), = reads.got
    assert data.inpaint is None and np.shares_memory(s.mask.mask, mask)
    assert np.array_equal(s.mask.mask, want[0]) and np.array_equal(s.mask.hints, want[1])
    assert s.dirty and not s.mask.can_undo()  # recovered work is unsaved
    window.autosave.store.wait()
    assert not old.exists() and window.autosave.store.path.exists()  # written: taken
    assert np.array_equal(load_project(window.autosave.store.path).inpaint.mask, want[0])


def test_an_open_over_a_session_that_keeps_its_data_is_a_copy(window, qtbot, tmp_path):
    """open_data without take (a caller that keeps using the data) copies the layers."""
    paint_model(window)
    s = window.session
    target = tmp_path / "p.vgpnn"
    save_project(s.snapshot(), target)
    data = load_project(target)
    mask = data.inpaint.mask
    kept = mask.copy()
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        assert window.projects.open_data(data, Path(target), dirty=False)
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=5000)
    assert data.inpaint.mask is mask and not np.shares_memory(s.mask.mask, mask)
    assert s.mask.invert("all")
    assert np.array_equal(mask, kept)


@pytest.mark.parametrize("how", ["not found", "read fails", "kept"])
def test_an_open_given_up_lets_go_of_what_it_read_off_the_gui_thread(
        how, window, qtbot, tmp_path, monkeypatch):
    """An open that goes no further after its read (the source not found, its read failed,
    the open project kept) freed the layers read on the GUI thread (35 ms for a whole-clip
    Full-HD mask), the last two only at the next open: the clip controller held them."""
    paint_model(window)
    target = tmp_path / "p.vgpnn"
    data = window.session.snapshot()
    if how != "kept":
        clip = tmp_path / "gone.mp4"
        clip.write_bytes(b"not a video")  # read fails
        data.source = replace(data.source, path=str(clip))
    save_project(data, target)
    del data
    if how == "not found":
        clip.unlink()
        monkeypatch.setattr(prompts, "find_moved_source", lambda *a: None)  # not looked for
    if how == "kept":
        monkeypatch.setattr(window.projects, "confirm",  # keep my changes
                            lambda *a: not window.session.dirty)
        load = window.clips.load

        def load_then_paint(*args):
            load(*args)
            paint(window)  # changed while the clip is read

        monkeypatch.setattr(window.clips, "load", load_then_paint)
    from app.state import release

    monkeypatch.setattr(release, "BIG_BYTES", 0)  # this clip's layers count as big
    freed: list[str] = []

    def read(path):  # on the reading thread: nothing else holds the layers yet
        got = load_project(path)
        for layer in (got.inpaint.mask, got.inpaint.hints):
            weakref.finalize(layer, lambda: freed.append(threading.current_thread().name))
        return got

    monkeypatch.setattr(projects_module, "load_project", read)
    errors: list[str] = []
    window.error_reported.connect(errors.append)
    window.session.mark_saved()  # nothing to ask about before the read
    window.projects.open_project(target)
    qtbot.waitUntil(lambda: len(freed) == 2, timeout=30_000)
    assert freed == ["vgpnn-let-go"] * 2
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=30_000)
    assert window.clips._pending is None  # nothing held for the next open
    assert bool(errors) == (how == "read fails")
    assert window.session.mask.mask.any()  # the open session's own layers stay
    window.error_reported.disconnect(errors.append)

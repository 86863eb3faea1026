"""The Analogy and Sketch tasks in the editor: their pages, the motion clip slot (open and
drop), the structure overlays, runs through the worker, the sketch brush, error dialogs."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from app.workers.exporter import ExportItem
from engine.io import read_video, write_video
from tests.guided_synth import moving_square
from tests.test_app_support import CLIP_H, CLIP_T, CLIP_W, RUN_TIMEOUT_MS, drag_on_view

A_T, A_H, A_W = 6, 32, 40  # clip A: another size and duration than the open clip (B)


@pytest.fixture
def window(draft_window):
    return draft_window


@pytest.fixture(scope="module")
def motion_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("motion")
    a = moving_square(t=A_T, h=A_H, w=A_W, side=12, step=-3)
    write_video(a, d / "square.mp4", fps=Fraction(10), crf=10)
    write_video(np.repeat(a[:1], A_T, 0), d / "still.mp4", fps=Fraction(10), crf=10)
    return d


def visible_boxes(window) -> list[QMessageBox]:
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def choose_motion(window, qtbot, path) -> None:
    window.guided.load_motion(path)
    qtbot.waitUntil(lambda: window.session.motion is not None and not window.guided.loading,
                    timeout=RUN_TIMEOUT_MS)


def drop_file(widget, *paths) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    for kind in ("enter", "drop"):
        event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                           Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
        if kind == "enter":
            widget.dragEnterEvent(event)
            assert event.isAccepted()
        else:
            widget.dropEvent(event)


def test_analogy_page_slots_overlays_and_generate(window, qtbot, motion_files, tmp_path):
    panel = window.panel
    panel.set_task("Analogy")
    page = panel.page_for("analogy")
    assert page.isVisible() and page.motion_slot.isVisible() and page.look_slot.isVisible()
    assert not panel.output_box.isVisible()  # the output follows clip A
    assert "tiny" in page.look_slot.name.text()
    assert not panel.generate.isEnabled() and not panel.browse.isEnabled()
    # The panel's line says why (it read "Ready" over a greyed Generate).
    assert panel.status.text() == "Choose the clip whose motion the result follows"
    qtbot.waitUntil(page.look_slot.has_overlay, timeout=30_000)  # B's structure, on a worker

    drop_file(page.motion_slot, motion_files / "square.mp4")  # drop on the slot
    qtbot.waitUntil(lambda: window.session.motion is not None, timeout=30_000)
    assert panel.generate.isEnabled() and panel.status.text() == "Ready"
    assert "square.mp4" in page.motion_slot.name.text()
    qtbot.waitUntil(page.motion_slot.has_overlay, timeout=30_000)
    assert window.session.settings.motion_path.endswith("square.mp4")

    shown = []
    window.result_shown.connect(shown.append)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        panel.generate.click()
    final = shown[-1]
    assert len(shown) >= 2 and [c.level for c in shown] == sorted(c.level for c in shown)
    assert final.final and final.frames.shape == (A_T, A_H, A_W, 3)  # A's size and duration
    assert window.viewer.result.has_frame() and window.view.result is final
    assert window.panel.status.text().startswith("Done")

    # Another seed is another video; the same seed comes from the cache.
    panel.seed.setValue(3)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.runs.generate()
    assert not np.array_equal(blocker.args[0].frames, final.frames)

    target = tmp_path / "analogy.mp4"
    result = window.view.result
    with qtbot.waitSignal(window.exporter.finished, timeout=60_000):
        window.exports.start_export([ExportItem(result.seed, result.request, result.frames)],
                                    [target], crf=18)
    assert read_video(target).frames.shape == (A_T, A_H, A_W, 3)

    panel.browse_count.setValue(2)
    browser = window.browsers.browse_seeds()
    assert browser is not None and len(browser.tiles) == 2
    browser.cancel()
    browser.close()


def test_sketch_drawn_with_the_brush_runs(window, qtbot):
    window.panel.set_task("Sketch")
    sketch = window.sketch
    assert sketch.active and not window.inpaint.active
    assert window.viewer.source.title.text().startswith("Sketch")
    assert (window.viewer.source.image.image == 255).all()  # a blank canvas, not the clip
    sketch.panel.scope.setCurrentIndex(sketch.panel.scope.findData("all"))
    sketch.panel.size_spin.setValue(10)
    QApplication.processEvents()
    drag_on_view(window.viewer.source.view, window.viewer.source.box,
                 [(10, 16), (20, 16), (30, 16), (38, 16)])
    assert window.session.sketch.masked_frames().all()
    assert window.session.mask.is_empty()  # the inpaint mask is another layer
    # The Edit menu shows the sketch's stroke actions (not the mask painter's, disabled here).
    edit = window.actions_by_name
    assert edit["sketch_undo_stroke"].isVisible() and edit["sketch_undo_stroke"].isEnabled()
    assert not edit["undo_stroke"].isVisible()
    edit["sketch_undo_stroke"].trigger()
    assert not window.session.sketch.masked_frames().any()
    assert edit["sketch_redo_stroke"].isEnabled()
    edit["sketch_redo_stroke"].trigger()
    assert window.session.sketch.masked_frames().all()
    frames = sketch.sketch_frames(0, CLIP_T - 1)
    assert frames.shape == (CLIP_T, CLIP_H, CLIP_W, 3) and (frames[:, 16, 24] == 0).all()
    sketch._revision += 1  # as after a new stroke: the frames are made again
    import threading

    import engine.sketch_layers as layers

    made_on, real = [], layers.sketch_from_layers
    layers.sketch_from_layers = lambda *a, **k: made_on.append(threading.current_thread()) or real(*a, **k)
    try:
        with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS) as blocker:
            window.panel.generate.click()
    finally:
        layers.sketch_from_layers = real
    assert blocker.args[0].frames.shape == (CLIP_T, CLIP_H, CLIP_W, 3)
    # Made on the run's worker, not the GUI thread (seconds on a long Full-HD sketch).
    assert made_on and threading.main_thread() not in made_on
    assert window.view.mode == "side"  # the drawing stays in view beside the result
    badge = window.viewer.result.badge
    assert badge.isHidden()  # an undone stroke marks the result as not the sketch's now
    edit["sketch_undo_stroke"].trigger()
    qtbot.waitUntil(lambda: not badge.isHidden(), timeout=2000)
    assert "the sketch has changed since" in badge.toolTip()
    edit["sketch_redo_stroke"].trigger()
    qtbot.waitUntil(badge.isHidden, timeout=2000)
    window.panel.set_task("Inpaint")
    assert edit["undo_stroke"].isVisible() and not edit["sketch_undo_stroke"].isVisible()


def test_error_dialogs_empty_sketch_short_look_clip_no_motion(window, qtbot, motion_files):
    """An empty sketch is asked for as an empty inpainting mask is (the panel's line and the
    status bar, no modal dialog: a newcomer's audit found the two told apart); a clip that
    cannot be used gets a dialog."""
    errors = []
    window.error_reported.connect(errors.append)
    window.panel.set_task("Sketch")
    window.runs.generate()
    assert not errors and not visible_boxes(window) and not window.generation.busy
    assert window.panel.status.text() == "Draw a sketch first"
    assert "Nothing is drawn" in window.statusBar().currentMessage()
    window.panel.set_task("Inpaint")  # the same for an empty mask
    window.runs.generate()
    assert not errors and not visible_boxes(window)
    assert window.panel.status.text() == "Paint a mask first"
    window.panel.set_task("Variations")  # neither line stays under a task that needs neither
    assert window.panel.status.text() not in ("Paint a mask first", "Draw a sketch first")
    window.panel.set_task("Sketch")
    window.runs.generate()
    assert window.panel.status.text() == "Draw a sketch first"
    window.panel.set_task("Analogy")  # its own reason now, over its greyed Generate
    assert window.panel.status.text() == "Choose the clip whose motion the result follows"
    assert "Nothing is drawn" not in window.statusBar().currentMessage()
    window.panel.set_task("Inpaint")
    window.runs.generate()
    window.panel.set_task("Analogy")  # not "Ready" over the greyed Generate
    assert window.panel.status.text() == "Choose the clip whose motion the result follows"
    window.error_reported.disconnect(errors.append)

    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    window.session.in_out.set_range(0, 1)  # two frames of B: too short to copy motion from
    with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
        window.runs.generate()
    assert "at least 3" in blocker.args[0] and not window.generation.busy

    window.session.in_out.reset(CLIP_T)
    choose_motion(window, qtbot, motion_files / "still.mp4")
    slot = window.panel.page_for("analogy").motion_slot
    qtbot.waitUntil(lambda: "no motion" in slot.status.text(), timeout=30_000)
    runs = window.generation.run_count
    with qtbot.waitSignal(window.error_reported, timeout=RUN_TIMEOUT_MS) as blocker:
        window.runs.generate()
    assert "no motion" in blocker.args[0] and visible_boxes(window)
    assert blocker.args[0].lower().count("choose") == 1  # the remedy said once
    assert window.generation.run_count == runs  # said before any work: no run started
    assert window.panel.status.text() != "Not started"  # the dialog said why; the line stays
    choose_motion(window, qtbot, motion_files / "square.mp4")  # another clip A: the status
    assert "no motion" not in window.statusBar().currentMessage()  # bar no longer says it


def test_motion_clip_that_cannot_be_read(window, qtbot, tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    window.panel.set_task("Analogy")
    with qtbot.waitSignal(window.error_reported, timeout=30_000) as blocker:
        window.guided.load_motion(bad)
    assert "notes.mp4" in blocker.args[0]
    assert window.session.motion is None and not window.panel.generate.isEnabled()


def test_sketch_import_takes_a_numbered_sequence_from_any_frame(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window.panel.set_task("Sketch")
    sketch = window.sketch
    frames = np.full((CLIP_T, CLIP_H, CLIP_W, 3), 255, np.uint8)
    for f in range(CLIP_T):
        frames[f, 10:20, 4 + 2 * f:10 + 2 * f] = 0  # a stroke that moves right
    folder = write_video(frames, str(tmp_path / "strokes") + "/", fps=25)
    picked = sorted(folder.iterdir())[2]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(picked), "")))
    with qtbot.waitSignal(sketch.message, timeout=30_000,
                          check_params_cb=lambda m: m == "Sketch imported."):
        sketch.panel.choose_import()
    ink = window.session.sketch.mask
    assert ink[0, 15, 5] and ink[CLIP_T - 1, 15, 4 + 2 * (CLIP_T - 1)] and not ink[0, 15, 4 + 2 * (CLIP_T - 1) + 3]


def _first_and_last_drawn(window):
    """The Sketch task with a dot drawn on the first and on the last frame; its controller."""
    window.panel.set_task("Sketch")
    sketch = window.sketch
    sketch.panel.scope.setCurrentIndex(sketch.panel.scope.findData("frame"))
    sketch.panel.size_spin.setValue(6)
    QApplication.processEvents()
    for frame, x in ((0, 8), (CLIP_T - 1, 40)):
        window.playback.seek(frame)
        QApplication.processEvents()
        drag_on_view(window.viewer.source.view, window.viewer.source.box, [(x, 16), (x + 1, 16)])
    return sketch


def test_sketch_key_frames_slide_whatever_the_in_out_range(window, qtbot):
    """Two key frames, and an in/out range that leaves both out: the frames between them
    still slide from one drawing to the next, as they do over the whole clip."""
    sketch = _first_and_last_drawn(window)
    whole = sketch.sketch_frames(0, CLIP_T - 1)
    window.session.in_out.set_range(2, 5)
    part = sketch.sketch_frames(2, 5)
    np.testing.assert_array_equal(part, whole[2:6])
    assert sketch.drawn_frames(2, 5) == 4
    ink_x = [float(np.nonzero(f[..., 0].min(0) < 128)[0].mean()) for f in part]
    assert ink_x == sorted(ink_x) and ink_x[0] < ink_x[-1]  # it moves within the range


def test_a_runs_sketch_frames_are_counted_and_kept_for_the_next_run(window, qtbot):
    """The frames a run's worker slides between key frames are counted as they are made, and
    kept: a second Generate on the same drawing made them all again (seconds each time on a
    long Full-HD sketch). A stroke after makes them anew."""
    from engine.request import Request

    sketch = _first_and_last_drawn(window)
    told: list[tuple[int, int]] = []
    made = sketch.frames_maker(1, 4)(Request(), None, lambda n, t: told.append((n, t)))
    assert told == [(n, CLIP_T - 2) for n in range(1, CLIP_T - 1)]
    kept = []
    again = sketch.frames_maker(0, CLIP_T - 1)(Request(), None, lambda n, t: kept.append(n))
    assert kept == [] and np.array_equal(again.guide[1:5], made.guide)
    window.playback.seek(2)
    QApplication.processEvents()
    drag_on_view(window.viewer.source.view, window.viewer.source.box, [(20, 30), (21, 30)])
    sketch.frames_maker(0, CLIP_T - 1)(Request(), None, lambda n, t: kept.append(n))
    assert kept  # a new drawing: made again


def test_a_favourite_of_an_earlier_sketch_is_looked_up_without_making_the_sketch(window, qtbot,
                                                                                   monkeypatch):
    """A favourite starred with an earlier drawing is looked for in the cache by its
    request, which made the whole clip's sketch on the GUI thread first (0.2-1.8 s at
    640x360 to 960x540; seconds at Full-HD); requests compare without their guides."""
    import threading

    import engine.sketch_layers as layers
    from app.state.settings import Favourite

    window.panel.set_task("Sketch")
    sketch, model = window.sketch, window.session.sketch
    ink = np.zeros(model.shape, bool)
    ink[0, 10:20, 5:15] = True
    ink[-1, 10:20, 30:40] = True
    model.set_arrays(ink, None, label="test")
    settings, last = window.runs.sync.commit(), CLIP_T - 1
    fav = Favourite(seed=settings.seed, settings=settings, in_out=(0, last),
                    layers=window.session.layers_token(settings, (0, last)))
    ink[-1, 25:30, 30:40] = True  # drawn on since the star
    model.set_arrays(ink, None, label="test")
    sketch._frames = None
    made_on, real = [], layers.sketch_from_layers

    def spy(*args, **kw):
        made_on.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kw)

    monkeypatch.setattr(layers, "sketch_from_layers", spy)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.use_favourite(fav)  # not in the cache: the current drawing makes one
    assert made_on and not any(made_on)


def test_the_canvas_shows_the_frames_between_key_frames_faint(window, qtbot):
    """A frame that is not drawn on shows the drawing a run gives it, faint, and says which
    key frames it comes from; a key frame shows only its own ink on white paper."""
    window.panel.set_task("Sketch")
    sketch, pane = window.sketch, window.viewer.source
    sketch.panel.scope.setCurrentIndex(sketch.panel.scope.findData("frame"))
    sketch.panel.size_spin.setValue(6)
    last = CLIP_T - 1
    for frame, x in ((1, 8), (last, 40)):
        window.playback.seek(frame)
        QApplication.processEvents()
        drag_on_view(pane.view, pane.box, [(x, 16), (x + 1, 16)])
    run = sketch.sketch_frames(0, last)
    middle = last // 2 + 1
    window.playback.seek(middle)
    QApplication.processEvents()
    shown = pane.image.image
    faint = shown[..., 0] < 255
    np.testing.assert_array_equal(faint, run[middle][..., 0] < 255)  # where a run draws
    assert faint.any() and (shown[faint] > 128).all()  # lighter than ink
    assert pane.badge.text() == f"Between keys 2–{CLIP_T}" and pane.badge.isVisible()
    window.playback.seek(0)  # before the first key frame: held
    QApplication.processEvents()
    assert pane.badge.text() == "Holds key 2" and (pane.image.image[..., 0] < 255).any()
    window.playback.seek(last)  # a key frame: paper under its own ink (the overlay)
    QApplication.processEvents()
    assert pane.badge.text() == "Key frame" and (pane.image.image == 255).all()
    window.playback.seek(middle)
    QApplication.processEvents()
    window.session.sketch.undo()  # the last key frame goes: the middle holds the first
    assert pane.badge.text() == "Holds key 2"
    np.testing.assert_array_equal(pane.image.image[..., 0] < 255,
                                  sketch.sketch_frames(0, last)[middle][..., 0] < 255)
    window.playback.seek(1)  # the first key frame erased away: no key frame is left
    QApplication.processEvents()
    model = window.session.sketch
    model.begin_stroke(1, "erase", radius=100)
    model.stroke_to(8, 16)
    assert pane.badge.text() == "Key frame"  # until the stroke ends
    model.end_stroke()
    assert not pane.badge.isVisible()
    window.session.sketch.undo()
    window.panel.set_task("Inpaint")  # the Source pane shows the clip again, no badge
    assert not pane.badge.isVisible()


def test_make_key_frame_draws_the_in_between_on_the_frame(window, qtbot):
    """Make Key Frame on a frame between key frames: the frame holds what a run drew there
    (one undo step), with its tones, and the frames around it now slide to and from it."""
    window.panel.set_task("Sketch")
    sketch, pane = window.sketch, window.viewer.source
    button = sketch.panel.key_button
    sketch.panel.scope.setCurrentIndex(sketch.panel.scope.findData("frame"))
    sketch.panel.size_spin.setValue(6)
    last = CLIP_T - 1
    window.playback.seek(0)
    QApplication.processEvents()
    assert not button.isEnabled()  # nothing drawn: no in-between
    drag_on_view(pane.view, pane.box, [(8, 16), (9, 16)])
    sketch.panel.hint_kind.setChecked(True)
    drag_on_view(pane.view, pane.box, [(8, 26), (9, 26)])  # a grey tone under the ink
    sketch.panel.remove_kind.setChecked(True)
    window.playback.seek(last)
    QApplication.processEvents()
    drag_on_view(pane.view, pane.box, [(40, 16), (41, 16)])
    middle = last // 2
    before = sketch.sketch_frames(0, last)[middle]
    window.playback.seek(middle)
    QApplication.processEvents()
    assert button.isEnabled()
    button.click()
    model = window.session.sketch
    assert model.masked_frames()[middle] and not button.isEnabled()
    assert pane.badge.text() == "Key frame"
    np.testing.assert_array_equal(sketch.sketch_frames(0, last)[middle], before)
    assert sketch.panel.undo_action.text() == "Undo Make Key Frame"
    model.undo()
    assert not model.masked_frames()[middle] and button.isEnabled()
    window.view.set_view_mode("result")  # the canvas is not on screen: nothing to act on
    assert not button.isEnabled()
    window.view.set_view_mode("side")
    assert button.isEnabled()


def _two_key_frames(window) -> tuple:
    """The Sketch task with a dot drawn on frames 2 and CLIP_T (This frame)."""
    window.panel.set_task("Sketch")
    sketch = window.sketch
    sketch.panel.scope.setCurrentIndex(sketch.panel.scope.findData("frame"))
    sketch.overlay.set_radius(3)
    for frame, x in ((1, 8), (CLIP_T - 1, 40)):
        window.playback.seek(frame)
        QApplication.processEvents()
        sketch.overlay.paint([(x, 16), (x + 1, 16)])
    return sketch, window.viewer.source, window.session.sketch


def _faint(pane) -> np.ndarray:
    return pane.image.image[..., 0] < 255


def test_clearing_the_key_frame_in_view_shows_what_it_holds_now(window, qtbot, caplog,
                                                                monkeypatch):
    """The model says which frames are key frames before it says what changed: the canvas
    was made then from the key frames before (a Clear of the key frame in view failed in
    FrameDrawings.at, logged; an undo of a key frame in view drew the frame twice)."""
    from engine import sketch_layers

    sketch, pane, model = _two_key_frames(window)
    last = CLIP_T - 1
    for frame in (3, last):  # a frame between them shown, then the last key frame
        window.playback.seek(frame)
        QApplication.processEvents()
    caplog.set_level("ERROR")
    sketch.panel._edit(model.clear)  # This frame: the last key frame goes
    assert pane.badge.text() == "Holds key 2"
    np.testing.assert_array_equal(_faint(pane), sketch.sketch_frames(0, last)[last][..., 0] < 255)
    model.undo()
    window.playback.seek(3)
    QApplication.processEvents()
    sketch.panel.key_button.click()  # frame 4 made a key frame, then undone while in view
    made = []
    monkeypatch.setattr(sketch_layers.FrameDrawings, "at", lambda self, frame, at=(
        sketch_layers.FrameDrawings.at): made.append(frame) or at(self, frame))
    model.undo()
    assert len(made) <= 1
    assert pane.badge.text() == f"Between keys 2–{CLIP_T}"
    np.testing.assert_array_equal(_faint(pane), sketch.sketch_frames(0, last)[3][..., 0] < 255)
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text


def test_erasing_over_the_faint_drawing_leaves_the_canvas(window, qtbot, caplog, monkeypatch):
    """A stroke on a frame between key frames that changes no key frame (the eraser over
    the faint drawing) keeps the canvas: it was made again at every move (80-100 ms on a
    Full-HD clip). With All frames, a key frame it empties is left out at once (a key frame
    with no ink failed at every move until the stroke ended)."""
    from engine import sketch_layers

    sketch, pane, model = _two_key_frames(window)
    window.playback.seek(4)
    QApplication.processEvents()
    shown, made = pane.image.image, []
    monkeypatch.setattr(sketch_layers.FrameDrawings, "at", lambda self, frame, at=(
        sketch_layers.FrameDrawings.at): made.append(frame) or at(self, frame))
    model.begin_stroke(4, "erase", 6)
    for x in range(10, 40, 5):
        model.stroke_to(x, 16)
    model.end_stroke()
    assert pane.image.image is shown and made == []
    caplog.set_level("ERROR")
    model.begin_stroke(4, "erase", 8, scope="all")
    model.stroke_to(8, 16)  # frame 2's dot is gone: frame 5 holds the last key's
    model.stroke_to(9, 16)
    np.testing.assert_array_equal(_faint(pane), sketch.sketch_frames(0, CLIP_T - 1)[4][..., 0] < 255)
    assert _faint(pane).any()
    model.end_stroke()
    assert pane.badge.text() == f"Holds key {CLIP_T}"
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text


def test_show_sketch_off_hides_the_faint_drawing_too(window, qtbot):
    """Show sketch unticked hid the key frames' ink but left the faint drawing of the frames
    between them on the canvas."""
    sketch, pane, _ = _two_key_frames(window)
    window.playback.seek(4)
    QApplication.processEvents()
    assert _faint(pane).any()
    sketch.panel.show_mask.setChecked(False)
    assert not _faint(pane).any()
    window.playback.seek(3)
    QApplication.processEvents()
    assert not _faint(pane).any()
    sketch.panel.show_mask.setChecked(True)
    assert _faint(pane).any()


def test_onion_skin_shows_the_frames_around_as_a_run_draws_them(window, qtbot):
    """On a key frame the onion skin showed nothing of the frames around it when they are
    not key frames (the overlay's onion shows drawn ink only): now their drawings, as a
    run draws them, tinted blue (before) and orange (after) on the canvas."""
    from app.inpaint.render import ONION_NEXT, ONION_PREV
    from app.sketch.canvas import _tint

    sketch, pane, model = _two_key_frames(window)
    window.playback.seek(1)  # key frame 2: frame 1 holds it, frame 3 is between the keys
    QApplication.processEvents()
    assert (pane.image.image == 255).all()
    sketch.panel.onion.setChecked(True)
    run = sketch.sketch_frames(0, CLIP_T - 1)
    shown = pane.image.image
    np.testing.assert_array_equal((shown == _tint(ONION_NEXT)).all(-1)
                                  | (shown == _tint(ONION_PREV)).all(-1),
                                  (run[0][..., 0] < 255) | (run[2][..., 0] < 255))
    np.testing.assert_array_equal((shown == _tint(ONION_NEXT)).all(-1),  # over the other
                                  run[2][..., 0] < 255)
    window.playback.seek(4)  # between keys: its own faint drawing over its neighbours'
    QApplication.processEvents()
    shown = pane.image.image
    own = run[4][..., 0] < 255
    assert (shown[own] < 255).all() and (shown[~own & (run[5][..., 0] < 255)]
                                         == _tint(ONION_NEXT)).all()
    # A stroke on the key frame keeps the neighbours' drawings from before it until it
    # ends, then shows them as they are.
    window.playback.seek(1)
    QApplication.processEvents()
    before = pane.image.image
    model.begin_stroke(1, "remove", 3)
    model.stroke_to(20, 30)
    assert pane.image.image is before
    model.end_stroke()
    run = sketch.sketch_frames(0, CLIP_T - 1)
    np.testing.assert_array_equal((pane.image.image == _tint(ONION_NEXT)).all(-1),
                                  run[2][..., 0] < 255)
    sketch.panel.onion.setChecked(False)
    assert (pane.image.image == 255).all()


def test_large_frames_prepare_their_key_frames_on_a_worker(window, qtbot, monkeypatch):
    """The first frame between key frames after a change prepares the two key frames'
    distance fields: 100-300 ms on the GUI thread for a Full-HD drawing. On a frame larger
    than SYNC_PIXELS that is done on a worker, and the canvas follows when it is ready."""
    import threading

    from app.sketch import canvas as sketch_canvas
    from engine import sketch_layers

    monkeypatch.setattr(sketch_canvas, "SYNC_PIXELS", 0)  # the test clip counts as large
    threads = []
    pair = sketch_layers.FrameDrawings._pair

    def made_where(self, k0, k1, whole=False):  # the pairs made, not those looked up
        if (k0, k1, whole) not in self._pairs:
            threads.append(threading.current_thread())
        return pair(self, k0, k1, whole)

    monkeypatch.setattr(sketch_layers.FrameDrawings, "_pair", made_where)
    sketch, pane, model = _two_key_frames(window)
    sketch.panel.onion.setChecked(True)
    for frame in (4, 2):
        window.playback.seek(frame)
        QApplication.processEvents()
        want = sketch.sketch_frames(0, CLIP_T - 1)[frame][..., 0] < 255
        qtbot.waitUntil(lambda want=want: np.array_equal(
            (pane.image.image < 255).all(-1) & (pane.image.image[..., 0] > 128), want)
            or np.array_equal(_faint(pane) & ~(pane.image.image == sketch_canvas._tint(
                sketch_canvas.ONION_NEXT)).all(-1) & ~(pane.image.image == sketch_canvas
                ._tint(sketch_canvas.ONION_PREV)).all(-1), want), timeout=10_000)
    sketch.panel.key_button.click()  # frame 3 a key frame: the pairs are made again
    window.playback.seek(3)
    QApplication.processEvents()
    qtbot.waitUntil(lambda: sketch._preparing is None, timeout=10_000)
    assert threads and threading.main_thread() not in threads
    # What a worker made from layers that changed meanwhile is not kept.
    window.playback.seek(4)
    QApplication.processEvents()
    qtbot.waitUntil(lambda: sketch._preparing is None, timeout=10_000)
    model.undo()
    work = sketch.canvas.preparer([4])
    made = work()
    model.redo()
    kept = dict(sketch.canvas._drawings)
    sketch.canvas.keep(made)
    assert sketch.canvas._drawings == kept


def test_the_sketch_panel_speaks_of_the_drawing_not_of_masks(window):
    """The Sketch panel is the Inpaint brush panel: its Eraser, Invert, Clear, Grow, Shrink
    and the pixels box kept the mask's tooltips ("Grow the hole by N pixels.")."""
    import re

    from PySide6.QtWidgets import QWidget

    window.panel.set_task("Sketch")
    panel = window.sketch.panel
    said = [w.toolTip() for w in panel.findChildren(QWidget) if not w.isHidden()]
    words = [tip for tip in said if re.search(r"\b(holes?|masks?)\b", tip, re.IGNORECASE)]
    assert not words, words
    assert "Thicken the ink" in panel.edit_buttons["Grow"].toolTip()
    # A run takes ink where it is drawn at least half: no soft brush that the canvas showed
    # as a fade of tones and the run took as a hard stroke half as wide.
    assert not panel.form.isRowVisible(panel.hardness) and window.sketch.overlay.hardness == 1.0


def test_settings_without_a_motion_clip_let_it_go_and_new_levels_are_measured(window, qtbot,
                                                                              motion_files):
    """A project (settings) that names no clip A: the open one goes, so a run never uses a
    clip the project would not save; its levels are the overlays' levels."""
    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    qtbot.waitUntil(lambda: window.guided.page.motion_slot.has_overlay(), timeout=60_000)
    assert window.session.settings.motion_path.endswith("square.mp4")
    window.session.set_settings(window.session.settings.with_(motion_path="", guide_levels=6,
                                                              look_levels=3))
    assert window.session.motion is None and not window.panel.generate.isEnabled()
    assert window.guided._overlay_levels == (6, 3)
    qtbot.waitUntil(lambda: "in 3 levels" in window.guided.page.look_slot.status.text(),
                    timeout=60_000)


def test_a_short_look_clip_note_stays_with_the_run(window, qtbot, motion_files):
    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    window.session.in_out.set_range(0, 3)  # 4 look frames for A's 6
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    said = window.statusBar().currentMessage()
    # The panel has no duration for an analogy (A's): the remedy is a shorter clip A.
    assert "its motion will repeat (or choose a shorter clip A)" in said
    assert "shorten the output" not in said


def test_a_sketch_of_another_shape_says_it_was_stretched(window, qtbot, tmp_path):
    window.panel.set_task("Sketch")
    square = np.full((1, 40, 40, 3), 255, np.uint8)
    square[0, 10:30, 10:30] = 0
    path = write_video(square, tmp_path / "square.png", fps=25)
    with qtbot.waitSignal(window.sketch.message, timeout=30_000,
                          check_params_cb=lambda m: m.startswith("Sketch imported")) as blocker:
        window.sketch.import_file(path)
    assert f"stretched from 40×40 to the clip's {CLIP_W}×{CLIP_H}" in blocker.args[0]


def test_a_colour_photo_imported_as_a_sketch_says_it_was_reduced_to_a_few_tones(
        window, qtbot, tmp_path):
    """A sketch is read by darkness alone, in a few tones: a colour picture (here a
    synthetic scene of a sky, clouds, balloons and ground) is not kept as it is, and the
    status line says how many tones the run reads; a drawing of flat tones is not noted."""
    from engine.sketch_layers import load_sketch, picture_tones
    from tests.synth import balloon_scene

    window.panel.set_task("Sketch")
    photo = write_video(balloon_scene(t=1, h=3 * CLIP_H, w=3 * CLIP_W), tmp_path / "photo.png",
                        fps=25)
    tones = picture_tones(*load_sketch(photo, (CLIP_T, CLIP_H, CLIP_W)))
    assert 2 <= tones <= 8
    with qtbot.waitSignal(window.sketch.message, timeout=30_000,
                          check_params_cb=lambda m: m.startswith("Sketch imported")) as blocker:
        window.sketch.import_file(photo)
    said = blocker.args[0]
    assert (f"a picture (shaded, not a few flat tones), which a run reduces to {tones} tones "
            "of darkness") in said
    assert window.statusBar().currentMessage() == said
    flat = np.full((1, CLIP_H, CLIP_W, 3), 255, np.uint8)
    flat[0, 8:20, 6:30] = 0
    flat[0, 22:30, 20:40] = (200, 40, 40)  # a flat colour tone
    drawing = write_video(flat, tmp_path / "drawing.png", fps=25)
    with qtbot.waitSignal(window.sketch.message, timeout=30_000,
                          check_params_cb=lambda m: m.startswith("Sketch imported")) as blocker:
        window.sketch.import_file(drawing)
    assert blocker.args[0] == "Sketch imported."


def test_a_frame_of_a_numbered_sequence_as_clip_a_opens_the_sequence(window, qtbot, tmp_path):
    folder = write_video(moving_square(t=A_T, h=A_H, w=A_W, side=12, step=-3),
                         str(tmp_path / "a_frames") + "/", fps=25)
    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, sorted(folder.iterdir())[2])
    assert window.session.motion.frames.shape[0] == A_T


def test_clip_a_being_opened_holds_the_run(window, qtbot, motion_files, tmp_path):
    """While a new clip A is read, Generate is greyed out and a run asked for anyway (a
    favourite) waits for it: it must not use the clip A being replaced."""
    panel = window.panel
    panel.set_task("Analogy")
    small = tmp_path / "small.mp4"
    write_video(moving_square(t=4, h=24, w=32, side=8, step=2), small, fps=Fraction(10), crf=10)
    choose_motion(window, qtbot, small)
    window.sync.commit()
    from app.state.settings import Favourite

    starred = Favourite(5, window.session.settings.with_(
        seed=5, motion_path=str(motion_files / "square.mp4")), (window.session.in_out.in_point, window.session.in_out.out_point))
    window.guided.load_motion(motion_files / "square.mp4")
    assert window.guided.loading and not panel.generate.isEnabled()
    assert not window.guided.ready(window.session.settings, window.runs.current_selection())
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.runs.use_favourite(starred)  # its clip A is the one being read: it waits
    assert blocker.args[0].frames.shape == (A_T, A_H, A_W, 3)  # made from square.mp4
    assert panel.generate.isEnabled()


def test_a_favourite_of_another_task_keeps_clip_a(window, qtbot, motion_files):
    from app.state.settings import Favourite

    window.sync.commit()
    variation = Favourite(2, window.session.settings.with_(task="generate", seed=2),
                          (window.session.in_out.in_point, window.session.in_out.out_point))
    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.use_favourite(variation)
    assert window.session.motion is not None
    assert window.session.settings.motion_path.endswith("square.mp4")


def test_overlays_follow_the_frame_the_result_shows(window, qtbot, motion_files):
    """Result frame i is made from clip A's frame i and the look clip's i-th frame from its
    in point: both overlays show that frame, in the Source view and the Result view."""
    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    window.session.in_out.set_range(2, CLIP_T - 1)
    page = window.panel.page_for("analogy")
    window.guided.show_frame(5)  # source frame 5: result frame 3
    assert page.motion_slot._frame == 3 and page.look_slot._frame == 3
    window.guided.show_frame(1, result_view=True)
    assert page.motion_slot._frame == 1 and page.look_slot._frame == 1


def test_a_still_look_clip_is_said_before_any_work(window, qtbot, motion_files):
    from tests.test_app_support import open_and_wait

    open_and_wait(qtbot, window, motion_files / "still.mp4")  # B does not move
    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    look = window.panel.page_for("analogy").look_slot
    qtbot.waitUntil(lambda: "no motion" in look.status.text(), timeout=30_000)
    runs = window.generation.run_count
    with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
        window.runs.generate()
    assert "no motion" in blocker.args[0] and "look clip" in blocker.args[0].lower()
    assert window.generation.run_count == runs


def test_a_still_image_as_the_look_clip_is_not_told_to_use_a_sketch(window, qtbot, tmp_path,
                                                                     motion_files):
    """A sketch stands in for clip A's motion (the Sketch task), never for the look: the
    look slot and Generate's dialog advise another look clip; clip A's slot still may."""
    from tests.test_app_support import open_and_wait

    still = write_video(np.full((1, CLIP_H, CLIP_W, 3), 90, np.uint8), tmp_path / "still.png",
                        fps=25)
    open_and_wait(qtbot, window, still)
    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    look = window.panel.page_for("analogy").look_slot
    qtbot.waitUntil(lambda: "one frame" in look.status.text(), timeout=30_000)
    assert "sketch" not in look.status.text().lower()
    assert "choose a look clip that moves" in look.status.text()
    with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
        window.runs.generate()
    assert "sketch" not in blocker.args[0].lower()
    assert blocker.args[0].lower().count("choose") == 1  # the remedy said once
    choose_motion(window, qtbot, still)  # as clip A: the Sketch task can stand in
    motion = window.panel.page_for("analogy").motion_slot
    qtbot.waitUntil(lambda: "one frame" in motion.status.text(), timeout=30_000)
    assert "Sketch task" in motion.status.text()


def test_a_project_dropped_on_clip_a_speaks_of_the_editor(window, qtbot, tmp_path):
    """A .vgpnn project dropped where a clip, mask or sketch is read: the message says to
    open it with File ▸ Open, not how to start the editor from a command line."""
    from app.state.project_file import save_project

    project = tmp_path / "shot.vgpnn"
    save_project(window.session.snapshot(), project)
    window.panel.set_task("Analogy")
    page = window.panel.page_for("analogy")
    with qtbot.waitSignal(window.error_reported, timeout=30_000) as blocker:
        drop_file(page.motion_slot, project)
    said = blocker.args[0]
    assert "File ▸ Open" in said and "main.py" not in said and "python" not in said
    assert said.startswith("shot.vgpnn is a VGPNN project") and window.session.motion is None
    window.panel.set_task("Sketch")
    with qtbot.waitSignal(window.error_reported, timeout=30_000) as blocker:
        window.sketch.import_file(project)
    assert "File ▸ Open" in blocker.args[0] and "main.py" not in blocker.args[0]
    window.panel.set_task("Inpaint")
    with qtbot.waitSignal(window.error_reported, timeout=30_000) as blocker:
        window.inpaint.panel.start_import(project)
    assert "File ▸ Open" in blocker.args[0] and "main.py" not in blocker.args[0]


def test_several_files_dropped_on_clip_a_take_the_first_clip(window, qtbot, motion_files, tmp_path):
    """[notes, a project, a clip, another clip] dropped on clip A's slot: the first clip is
    read (it was the notes, refused), and the status bar names the rest."""
    notes = tmp_path / "notes.txt"
    notes.write_text("shot list")
    project = tmp_path / "shot.vgpnn"
    project.write_text("{}")
    window.panel.set_task("Analogy")
    page = window.panel.page_for("analogy")
    drop_file(page.motion_slot, notes, project, motion_files / "square.mp4", motion_files / "still.mp4")
    said = window.statusBar().currentMessage()
    assert said == ("square.mp4 dropped; ignored notes.txt, shot.vgpnn (not a clip or image "
                    "folder) and still.mp4 (one clip at a time)"), said
    qtbot.waitUntil(lambda: window.session.motion is not None, timeout=30_000)
    assert window.session.motion.name == "square.mp4" and not visible_boxes(window)


def test_a_favourite_of_one_clip_a_while_another_is_read_runs_with_its_own(
        window, qtbot, motion_files, tmp_path):
    from app.state.settings import Favourite

    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    window.sync.commit()
    starred = Favourite(4, window.session.settings.with_(seed=4),
                        (window.session.in_out.in_point, window.session.in_out.out_point))
    small = tmp_path / "small.mp4"
    write_video(moving_square(t=4, h=24, w=32, side=8, step=2), small, fps=Fraction(10), crf=10)
    window.guided.load_motion(small)  # another clip A is being read
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.runs.use_favourite(starred)
    assert blocker.args[0].frames.shape == (A_T, A_H, A_W, 3)  # square's, not small's
    qtbot.waitUntil(lambda: not window.guided.loading, timeout=RUN_TIMEOUT_MS)
    assert str(window.session.motion.path).endswith("square.mp4")


def test_an_analogy_favourite_of_another_clip_a_is_not_exported_with_the_open_one(
        window, qtbot, motion_files, tmp_path):
    """A favourite names its clip A: with another one open (or none), Export Favourites
    leaves it out (saying why) instead of making it with the clip A that is open, and the
    other favourites are still written."""
    from app.state.settings import Favourite

    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    window.sync.commit()
    in_out = (window.session.in_out.in_point, window.session.in_out.out_point)
    window.session.set_favourite(Favourite(3, window.session.settings.with_(seed=3), in_out), True)
    window.session.set_favourite(
        Favourite(5, window.session.settings.with_(task="generate", seed=5), in_out), True)
    window.cache.clear()
    small = tmp_path / "small.mp4"
    write_video(moving_square(t=4, h=24, w=32, side=8, step=2), small, fps=Fraction(10), crf=10)
    choose_motion(window, qtbot, small)
    items = window.exports.favourite_items()
    assert [item.seed for item in items] == [5]
    assert [seed for seed, _ in window.exports.left_out] == [3]
    labels = [window._favourite_label(f) for f in window.session.favourites]
    assert "earlier" in labels[0] and "earlier" not in labels[1]
    window.session.remove_favourite(window.session.favourites[0])  # Favourites ▸ Remove
    assert [f.seed for f in window.session.favourites] == [5]


def test_a_cached_analogy_favourite_of_a_clip_a_of_another_size_is_exported(
        window, qtbot, motion_files, tmp_path):
    """Starred with one clip A and still in memory, it is exported from the cache after a
    clip A of another size is opened (its output has the first clip A's size)."""
    from app.state.settings import Favourite

    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    settings = window.sync.commit().with_(seed=6)
    window.panel.apply_settings(settings)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.runs.generate()
    made = blocker.args[0].frames
    selection = window.runs.current_selection()
    window.session.set_favourite(
        Favourite(6, settings, (window.session.in_out.in_point, window.session.in_out.out_point),
                  selection.token[3:]), True)
    small = tmp_path / "small.mp4"
    write_video(moving_square(t=4, h=24, w=32, side=8, step=2), small, fps=Fraction(10), crf=10)
    choose_motion(window, qtbot, small)
    items = [item for item in window.exports.favourite_items() if item.seed == 6]
    assert len(items) == 1 and items[0].frames is made
    assert made.shape == (A_T, A_H, A_W, 3) and (items[0].request.height,
                                                  items[0].request.width) == (A_H, A_W)
    assert 6 not in [seed for seed, _ in window.exports.left_out]
    runs = window.generation.run_count
    window.runs.use_favourite(window.session.favourites[-1])  # its clip A again, from memory
    qtbot.waitUntil(lambda: not window.guided.loading and str(
        window.session.motion.path).endswith("square.mp4"), timeout=RUN_TIMEOUT_MS)
    qtbot.waitUntil(lambda: "Result ready" in window.statusBar().currentMessage(), timeout=5000)
    assert window.generation.run_count == runs


def test_a_favourite_whose_clip_a_was_moved_keeps_the_clip_a_chosen_again(
        window, qtbot, motion_files, tmp_path):
    """Its clip A moved and chosen again from the new place: running the favourite makes
    it with that clip A, and the panel (and so a saved project) keeps the new path, not the
    old one that cannot be read; the status bar says so."""
    import shutil

    from app.state.settings import Favourite

    old = tmp_path / "old" / "square.mp4"
    old.parent.mkdir()
    shutil.copy(motion_files / "square.mp4", old)
    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, old)
    starred = Favourite(7, window.sync.commit().with_(seed=7),
                        (window.session.in_out.in_point, window.session.in_out.out_point))
    assert starred.settings.motion_path == str(old)
    new = tmp_path / "new" / "square.mp4"
    new.parent.mkdir()
    shutil.move(old, new)
    choose_motion(window, qtbot, new)
    window.cache.clear()
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.runs.use_favourite(starred)
    assert blocker.args[0].frames.shape == (A_T, A_H, A_W, 3)
    assert window.session.settings.motion_path == str(new)
    assert str(window.session.motion.path) == str(new)
    qtbot.waitUntil(lambda: "no longer at" in window.statusBar().currentMessage(), timeout=5000)


def test_an_analogy_plays_and_is_exported_at_clip_a_frame_rate(
        window, qtbot, motion_files, tmp_path, monkeypatch):
    """It moves as clip A does, frame for frame: the result plays, and is written, at A's
    rate (20 fps here), not the look clip's."""
    from tests.test_app_support import answer_export_dialog

    out = tmp_path / "out.mp4"
    answer_export_dialog(monkeypatch, window, out, tmp_path)
    fast = tmp_path / "fast.mp4"
    write_video(moving_square(t=A_T, h=A_H, w=A_W, side=12, step=-3), fast, fps=Fraction(20),
                crf=10)
    assert window.session.clip.fps != 20
    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, fast)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.runs.generate()
    result = blocker.args[0]
    assert result.fps == 20
    window.view.set_view_mode("result")
    assert window.playback.fps == 20
    # Side by side, beside the 10 fps look clip, it keeps A's speed: two frames a frame.
    window.view.set_view_mode("side")
    window.playback.seek(window.session.in_out.in_point + 2)
    shown = window.viewer.result.image.image
    assert np.array_equal(shown, result.frames[4]) and not np.array_equal(shown, result.frames[2])
    page = window.panel.page_for("analogy")  # the overlays: A's frame 4, the look clip's 2
    assert (page.motion_slot._frame, page.look_slot._frame) == (4, 2)
    with qtbot.waitSignal(window.exporter.finished, timeout=RUN_TIMEOUT_MS):
        window.exports.export_result()
    assert read_video(out).fps == 20


def test_a_clip_slot_keeps_a_name_with_a_dash_whole(window, qtbot, tmp_path):
    """"Interview — take 2.mp4 — 64×48 · 8 frames": the name is all before the last dash,
    and neither line widens the panel."""
    import shutil

    from tests.test_app_support import open_and_wait

    name = tmp_path / "Interview — take 2 at the lake house, a long and descriptive name.mp4"
    shutil.copy(window.session.clip.path, name)
    open_and_wait(qtbot, window, name)
    window.panel.set_task("Analogy")
    slot = window.panel.page_for("analogy").look_slot
    assert slot.name.text() == name.name and "×" in slot.details.text()
    assert slot.minimumSizeHint().width() < 340


def test_update_on_change_into_a_guided_task_with_nothing_to_follow_opens_no_dialog(
        window, qtbot, motion_files):
    """Once generated, with Update on change on, choosing Sketch (nothing drawn yet) or
    Analogy (no clip A yet) starts an update that cannot run: the panel and the status bar
    say what is missing, as for an empty inpainting mask; no error dialog pops up, on a
    change of task or on Generate."""
    panel = window.panel
    with qtbot.waitSignals([window.generation.finished, window.generation.scored],
                           timeout=RUN_TIMEOUT_MS):
        window.runs.generate()  # a variation: updates follow from now on
    panel.auto_update.setChecked(True)
    errors = []
    window.error_reported.connect(errors.append)
    runs = window.generation.run_count
    for task, line, status in (("Sketch", "Draw", "Nothing is drawn"),
                               ("Analogy", "clip A", "Motion from (A)")):
        panel.set_task(task)
        panel._emit_changed()  # the debounced change, now
        assert not visible_boxes(window) and not errors
        assert line in panel.status.text() and status in window.statusBar().currentMessage()
    assert window.generation.run_count == runs
    window.runs.generate()  # asked for: the same line, no dialog
    assert not visible_boxes(window) and not errors
    panel._emit_changed()
    assert panel.status.text() == "Choose clip A first"
    choose_motion(window, qtbot, motion_files / "square.mp4")
    assert panel.status.text() == "Ready"  # what it asked for is there


def test_the_seed_browser_offers_no_score_orders_for_a_sketch(window, qtbot):
    """Sketch and Analogy results are not scored: the browser's order box offers seed order
    only there (its other orders sorted nothing) and keeps the order chosen for variations."""
    window.panel.browse_count.setValue(2)
    browser = window.browsers.browse_seeds()  # variations
    assert browser.order.isEnabled()
    browser.order.setCurrentIndex(1)  # most realistic first
    browser.cancel()
    window.panel.set_task("Sketch")
    sketch = window.sketch
    sketch.panel.scope.setCurrentIndex(sketch.panel.scope.findData("all"))
    QApplication.processEvents()
    drag_on_view(window.viewer.source.view, window.viewer.source.box, [(10, 16), (30, 16)])
    assert window.browsers.browse_seeds() is browser
    assert not browser.order.isEnabled() and browser.order.currentIndex() == 0
    assert "Seed order only" in browser.order.toolTip()
    browser.cancel()
    window.panel.set_task("Variations")
    window.browsers.browse_seeds()
    assert browser.order.isEnabled() and browser.order.currentIndex() == 1
    browser.cancel()
    browser.close()


def test_a_sketch_grid_and_its_favourites_make_the_sketch_off_the_gui_thread(
        window, qtbot, tmp_path, monkeypatch):
    """Browse seeds and Export Favourites of a sketch make its frames on their workers, as
    Generate does (a Full-HD sketch took 1.2 s of the GUI thread), and the grid's videos
    are the ones Generate makes."""
    import threading

    import engine.sketch_layers as layers

    made_on = []
    real = layers.sketch_from_layers

    def spy(*args, **kw):
        made_on.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kw)

    monkeypatch.setattr(layers, "sketch_from_layers", spy)
    window.panel.set_task("Sketch")
    sketch = window.sketch
    sketch.panel.scope.setCurrentIndex(sketch.panel.scope.findData("all"))
    QApplication.processEvents()
    drag_on_view(window.viewer.source.view, window.viewer.source.box, [(10, 16), (30, 16)])
    window.panel.browse_count.setValue(2)
    browser = window.browsers.browse_seeds()
    qtbot.waitUntil(lambda: all(t.clip is not None and t.clip.final
                                for t in browser.tiles.values()), timeout=RUN_TIMEOUT_MS)
    assert made_on and not any(made_on)
    seed = min(browser.tiles)
    grid = browser.tiles[seed].clip.frames
    browser.tiles[seed].star.click()  # a favourite, exported below
    browser.close()
    window.cache.clear()  # so the export computes it
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS) as run:
        window.panel.seed.setValue(seed)
        window.runs.generate()
    np.testing.assert_array_equal(run.args[0].frames, grid)
    window.cache.clear()
    made_on.clear()
    sketch._frames = None  # the run's frames are kept for the next run: dropped, so made again
    items = window.exports.favourite_items()
    assert len(items) == 1 and items[0].frames is None and items[0].prepare is not None
    assert not made_on  # nothing made on the GUI thread for the export's request
    target = tmp_path / "fav.mp4"
    with qtbot.waitSignal(window.exporter.finished, timeout=RUN_TIMEOUT_MS):
        window.exports.start_export(items, [target], crf=0)
    assert made_on and not any(made_on)
    assert read_video(target).frames.shape == grid.shape


def test_open_for_clip_a_starts_beside_the_clips(window, qtbot, motion_files, monkeypatch):
    """Open… in “Motion from (A)” starts in the open clip's folder (where Sketch: Import…
    starts too), then in clip A's: not in the home folder of a clip opened by a drop."""
    from PySide6.QtWidgets import QFileDialog

    starts = []

    def dialog(parent, caption, start, *rest, **kw):
        starts.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(dialog))
    window.panel.set_task("Analogy")
    window.guided.choose_motion()
    choose_motion(window, qtbot, motion_files / "square.mp4")
    window.guided.choose_motion()
    assert starts == [str(window.session.clip.path.parent), str(motion_files)]


def test_a_clip_a_that_cannot_be_read_leaves_the_slot_saying_what_it_said(
        window, qtbot, motion_files, tmp_path):
    """The clip A that stays keeps its slot's line (its levels), not an empty one."""
    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    slot = window.panel.page_for("analogy").motion_slot
    qtbot.waitUntil(slot.has_overlay, timeout=60_000)
    said = slot.status.text()
    assert "levels" in said
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with qtbot.waitSignal(window.error_reported, timeout=30_000):
        window.guided.load_motion(bad)
    assert slot.status.text() == said and "square.mp4" in slot.name.text()


def test_a_sketch_video_of_another_length_says_it_was_retimed(window, qtbot, tmp_path):
    """A sketch video's frames are spread over the clip's (or picked from, for a longer
    one): said with the import, as another shape is; a sketch of the clip's length is not."""
    window.panel.set_task("Sketch")
    for t in (CLIP_T // 2, CLIP_T):
        frames = np.full((t, CLIP_H, CLIP_W, 3), 255, np.uint8)
        frames[:, 10:20, 10:30] = 0
        path = write_video(frames, tmp_path / f"strokes{t}.mp4", fps=Fraction(10), crf=10)
        with qtbot.waitSignal(window.sketch.message, timeout=30_000,
                              check_params_cb=lambda m: m.startswith("Sketch imported")) as blocker:
            window.sketch.import_file(path)
        retimed = f"retimed from {t} frames to the clip's {CLIP_T}"
        assert (retimed in blocker.args[0]) == (t != CLIP_T), blocker.args[0]


def test_a_sketch_video_is_laid_over_the_in_out_range(window, qtbot, tmp_path):
    """With an in/out range set, a sketch video's first frame lands on the in point and its
    last on the out point (the frames a run uses), retimed to the range if need be; the
    frames outside hold its ends. One image is still every frame's drawing."""
    window.panel.set_task("Sketch")
    window.session.in_out.set_range(2, 5)
    frames = np.full((4, CLIP_H, CLIP_W, 3), 255, np.uint8)
    for i in range(4):
        frames[i, 10:20, 4 + 8 * i : 14 + 8 * i] = 0  # a block moving right
    path = write_video(frames, tmp_path / "four.mp4", fps=Fraction(10), crf=10)
    with qtbot.waitSignal(window.sketch.message, timeout=30_000,
                          check_params_cb=lambda m: m.startswith("Sketch imported")) as blocker:
        window.sketch.import_file(path)
    assert blocker.args[0] == "Sketch imported over the in/out range (frames 3–6)."
    keys = window.session.sketch.masked_frames()
    assert keys[2:6].all() and not keys[:2].any() and not keys[6:].any()
    ink_x = [float(np.nonzero(f[..., 0].min(0) < 128)[0].mean())
             for f in window.sketch.sketch_frames(2, 5)]
    assert ink_x == sorted(ink_x) and ink_x[-1] - ink_x[0] > 20  # the whole move, in range
    whole = window.sketch.sketch_frames(0, CLIP_T - 1)
    np.testing.assert_array_equal(whole[0], whole[2])  # held before the in point
    np.testing.assert_array_equal(whole[-1], whole[5])
    write_video(frames[:1], tmp_path / "one.png", fps=Fraction(10))
    with qtbot.waitSignal(window.sketch.message, timeout=30_000,
                          check_params_cb=lambda m: m.startswith("Sketch imported")) as blocker:
        window.sketch.import_file(tmp_path / "one.png")
    assert blocker.args[0] == "Sketch imported." and window.session.sketch.masked_frames().all()


def test_new_levels_of_a_measure_clip_a_again_not_the_look_clip(window, qtbot, motion_files):
    """Levels of A change clip A's overlay only (B's would be measured again for nothing,
    on the cores a run needs), and Levels of B the look clip's only."""
    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    page = window.panel.page_for("analogy")
    qtbot.waitUntil(lambda: page.motion_slot.has_overlay() and page.look_slot.has_overlay(),
                    timeout=60_000)
    jobs = window.guided._overlay_jobs
    page.guide_levels.setValue(3)
    assert jobs["motion"] is not None and jobs["look"] is None
    assert "Measuring" not in page.look_slot.status.text()
    qtbot.waitUntil(lambda: "in 3 levels" in page.motion_slot.status.text(), timeout=60_000)
    page.look_levels.setValue(5)
    assert jobs["look"] is not None and jobs["motion"] is None
    qtbot.waitUntil(lambda: "in 5 levels" in page.look_slot.status.text(), timeout=60_000)


def test_follow_up_to_zero_says_clip_a_steers_nothing(window, qtbot, motion_files):
    """Follow up to 0 lets clip A steer no level: the result is the look clip's own layout,
    and the run's "Result ready" line says so (it said nothing, as if A had been used)."""
    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    page = window.panel.page_for("analogy")
    page.until.set_value(0.0)
    page.until.committed.emit()
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    assert "clip steers no level (follow up to 0)" in window.statusBar().currentMessage()


def test_choosing_a_tone_selects_tone_strokes(window, qtbot, monkeypatch):
    """The swatch's tone is for the next strokes: choosing one selects Tone (strokes drew
    black ink until Tone was ticked as well); cancelling the dialog changes nothing."""
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QColorDialog

    window.panel.set_task("Sketch")
    panel = window.sketch.panel
    assert panel.remove_kind.isChecked()
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor()))
    panel.hint_color.click()  # cancelled
    assert panel.remove_kind.isChecked()
    monkeypatch.setattr(QColorDialog, "getColor",
                        staticmethod(lambda *a, **k: QColor(64, 64, 64)))
    panel.hint_color.click()
    assert panel.hint_kind.isChecked()
    panel.scope.setCurrentIndex(panel.scope.findData("all"))
    QApplication.processEvents()
    drag_on_view(window.viewer.source.view, window.viewer.source.box, [(10, 16), (30, 16)])
    hints = window.session.sketch.hints
    assert (hints[0, 16, 20, :3] == 64).all() and hints[0, 16, 20, 3] > 0  # a tone, not ink


def test_a_clip_a_named_and_not_found_is_not_stood_in_for_by_the_open_one(window, qtbot,
                                                                           motion_files, tmp_path):
    """A project names clip A y.mp4, moved away; x.mp4 was open: the status bar said y was
    not found, yet x stayed in the slot and runs used it, while the project saved y."""
    window.panel.set_task("Analogy")
    choose_motion(window, qtbot, motion_files / "square.mp4")
    missing = str(tmp_path / "moved" / "y.mp4")
    settings = window.runs.sync.commit()
    window.session.set_settings(settings.with_(motion_path=missing))
    QApplication.processEvents()
    assert window.session.motion is None
    assert window.runs.sync.commit().motion_path == missing  # the project still names y
    assert not window.panel.generate.isEnabled()
    assert "y.mp4 was not found" in window.statusBar().currentMessage()


def test_a_sketch_import_counts_its_frames_and_can_be_cancelled(window, qtbot, tmp_path,
                                                                 monkeypatch):
    """As a mask import: the status bar counts the frames read, Import… is Cancel Import
    while they are read, and a cancel (or another clip) stops the read; the drawing stays."""
    import threading

    import engine.sketch_layers as layers
    from engine.errors import Cancelled

    window.panel.set_task("Sketch")
    sketch = window.sketch
    said: list[str] = []
    sketch.message.connect(said.append)
    drawing = np.full((CLIP_T, CLIP_H, CLIP_W, 3), 255, np.uint8)
    drawing[:, 10:20, 10:20] = 0
    folder = write_video(drawing, tmp_path / "drawn", fps=Fraction(10))
    with qtbot.waitSignal(sketch.message, timeout=30_000,
                          check_params_cb=lambda text: text.startswith("Sketch imported")):
        sketch.import_file(folder)
    assert f"Importing drawn… {CLIP_T} of {CLIP_T} frames" in said
    assert sketch.panel.import_button.text() == "Import…"

    stopped = []

    def held(path, shape, cancel=None, progress=None):
        while not cancel():
            threading.Event().wait(0.02)
        stopped.append(path)
        raise Cancelled()

    monkeypatch.setattr(layers, "load_sketch", held)
    window.session.sketch.clear()
    sketch.import_file(folder)
    assert sketch.panel.import_button.text() == "Cancel Import"
    sketch.panel.import_button.click()
    qtbot.waitUntil(lambda: stopped == [folder], timeout=10_000)
    assert said[-1] == "Import of drawn cancelled; the drawing is as it was."
    assert sketch.panel.import_button.text() == "Import…" and not window.session.sketch.mask.any()
    sketch.import_file(folder)
    window.session.sketch.reset(window.session.sketch.shape)  # what another clip does
    qtbot.waitUntil(lambda: len(stopped) == 2, timeout=10_000)
    assert sketch.panel.import_button.text() == "Import…"

"""Work in flight when something else arrives: another clip under a stroke being dragged, a
panel edit inside its debounce or a favourite waiting for its clip A; a mask import or an
Update on change under a held stroke; two imports in a row; a refused Generate or a grid's
Stop while a run goes on; and a favourite whose frames the clip no longer has. Each was
found by driving the window (two reviews, 2026-12-07)."""

from __future__ import annotations

import threading
from fractions import Fraction

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from app.inpaint import mask_io
from app.state.settings import Favourite
from app.window import clips as clips_module
from app.window import guided as guided_module
from app.workers import generation, jobs
from engine.io import write_video
from tests.test_app_browser_export import hold_the_editors_runs
from tests.test_app_guided import A_H, A_T, A_W, choose_motion, moving_square
from tests.test_app_mask_panel import SHAPE, panel  # noqa: F401 (a fixture)
from tests.test_app_support import CLIP_T, RUN_TIMEOUT_MS, moving_texture, open_and_wait


def _other_clip(tmp_path):
    return write_video(moving_texture()[::-1].copy(), tmp_path / "other.mp4", fps=Fraction(10), crf=10)


def _mouse(pane, kind, x: float, y: float, buttons) -> None:
    viewport = pane.view.viewport()
    pos = QPointF(pane.view.mapFromScene(pane.box.mapViewToScene(QPointF(x, y))))
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    QApplication.sendEvent(viewport, QMouseEvent(kind, pos, QPointF(viewport.mapToGlobal(pos.toPoint())),
                                                 button, buttons, Qt.KeyboardModifier.NoModifier))


def test_a_clip_read_while_a_stroke_is_dragged_ends_the_stroke(draft_window, qtbot, tmp_path):
    """New layers under a held brush: the drag stops with them, where every further move
    raised inside Qt's event filter (and the process later crashed)."""
    win = draft_window
    win.panel.set_task("Inpaint")
    win.sync.commit()
    pane, overlay, held = win.viewer.source, win.inpaint.overlay, Qt.MouseButton.LeftButton
    _mouse(pane, QEvent.Type.MouseButtonPress, 10, 10, held)
    _mouse(pane, QEvent.Type.MouseMove, 14, 12, held)
    assert win.session.mask.stroking is not None
    open_and_wait(qtbot, win, _other_clip(tmp_path))  # the read ends with the button held
    assert win.session.mask.stroking is None
    raised = []
    real = overlay.drag

    def drag(scene_pos):
        try:
            real(scene_pos)
        except Exception as exc:
            raised.append(exc)
            raise

    overlay.drag = drag
    _mouse(pane, QEvent.Type.MouseMove, 20, 16, held)  # the user goes on dragging
    _mouse(pane, QEvent.Type.MouseButtonRelease, 20, 16, Qt.MouseButton.NoButton)
    assert raised == []
    assert overlay._drag is None
    assert not win.session.mask.masked_frames().any()  # nothing painted on the new clip
    _mouse(pane, QEvent.Type.MouseButtonPress, 10, 10, held)  # and the brush works again
    _mouse(pane, QEvent.Type.MouseMove, 16, 12, held)
    _mouse(pane, QEvent.Type.MouseButtonRelease, 16, 12, Qt.MouseButton.NoButton)
    assert win.session.mask.masked_frames().any()


def _hold_reads(monkeypatch, gate: threading.Event) -> None:
    """A clip read on its worker is handed over only once `gate` is set."""
    real = clips_module._read

    def read_then_wait(path, cancel):
        result = real(path, cancel)
        gate.wait(30)
        return result

    monkeypatch.setattr(clips_module, "_read", read_then_wait)


def test_edits_made_while_a_clip_is_read_stay(draft_window, qtbot, tmp_path, monkeypatch):
    """A seed and a task chosen just before the clip is handed over (still inside the
    panel's debounce) are the new session's, not undone by the old settings shown again."""
    win, gate = draft_window, threading.Event()
    _hold_reads(monkeypatch, gate)
    win.projects.open_path(_other_clip(tmp_path))
    qtbot.wait(300)
    win.panel.seed.setValue(4242)
    win.panel.set_task("Inpaint")
    gate.set()
    qtbot.waitUntil(lambda: win.session.clip is not None and win.session.clip.path.name == "other.mp4",
                    timeout=30_000)
    qtbot.wait(500)  # past the debounce
    assert (win.panel.seed.value(), win.panel.current_task()) == (4242, "inpaint")
    assert win.session.settings.seed == 4242


def test_keys_pressed_while_the_first_clip_is_read_say_it_is_being_read(qtbot, tmp_path,
                                                                           monkeypatch):
    """G, B, Ctrl+S, Ctrl+N and Import Masks while the first clip is read: each opened a box
    saying "Open a video first", of the video being opened. The status bar says it is being
    read instead."""
    from app.window.messages import STILL_READING
    from tests.test_app_support import close_and_check_threads, make_window

    win, gate = make_window(qtbot, tmp_path), threading.Event()
    _hold_reads(monkeypatch, gate)
    boxes = []
    monkeypatch.setattr(win.messages, "error", lambda title, text, over=None: boxes.append(text))
    monkeypatch.setattr(win.messages, "info", lambda title, text: boxes.append(text))
    win.projects.open_path(_other_clip(tmp_path))
    try:
        for name in ("generate", "browse", "save", "new_project", "import_masks"):
            win.statusBar().clearMessage()
            win.actions_by_name[name].trigger()
            assert win.statusBar().currentMessage() == STILL_READING, name
        assert boxes == []
    finally:
        gate.set()
        qtbot.waitUntil(lambda: win.session.clip is not None, timeout=30_000)
        close_and_check_threads(qtbot, win)


def test_a_favourite_waiting_for_its_clip_a_does_not_run_on_another_clip(draft_window, qtbot, tmp_path,
                                                                          monkeypatch):
    win = draft_window
    small = write_video(moving_square(t=4, h=24, w=32, side=8, step=2), tmp_path / "small.mp4",
                        fps=Fraction(10), crf=10)
    square = write_video(moving_square(t=A_T, h=A_H, w=A_W, side=12, step=-3), tmp_path / "square.mp4",
                         fps=Fraction(10), crf=10)
    win.panel.set_task("Analogy")
    choose_motion(win, qtbot, small)
    win.sync.commit()
    starred = Favourite(5, win.session.settings.with_(seed=5, motion_path=str(square)),
                        (win.session.in_out.in_point, win.session.in_out.out_point))
    gate = threading.Event()
    real = guided_module.read_source

    def held(path, cancel=None):
        gate.wait(60)
        return real(path, cancel)

    monkeypatch.setattr(guided_module, "read_source", held)
    runs = win.generation.run_count
    win.runs.use_favourite(starred)
    assert win.guided.loading and not win.generation.busy
    open_and_wait(qtbot, win, _other_clip(tmp_path))
    gate.set()
    qtbot.waitUntil(lambda: not win.guided.loading, timeout=30_000)
    qtbot.wait(300)
    assert win.generation.run_count == runs and not win.generation.busy
    assert not win.runs.generated_once


@pytest.mark.parametrize("first", [CLIP_T - 4, CLIP_T + 2])
def test_a_favourite_of_a_longer_version_of_the_clip_is_refused(draft_window, first):
    """Its frames are not in this clip (a project's source replaced by a shorter one): a
    message, not a clamped range that would make another video."""
    win = draft_window
    win.sync.commit()
    range_before = (win.session.in_out.in_point, win.session.in_out.out_point)
    favourite = Favourite(3, win.session.settings.with_(seed=3), (first, CLIP_T + 4))
    win.session.favourites.append(favourite)
    assert win._favourite_label(favourite).endswith("(a longer clip)")
    errors = []
    win.error_reported.connect(errors.append)
    win.runs.use_favourite(favourite)
    assert not win.generation.busy and win.generation.run_count == 0
    assert (win.session.in_out.in_point, win.session.in_out.out_point) == range_before
    assert "longer version" in win.messages.last_error


def test_a_mask_import_landing_under_a_held_stroke_is_a_step_of_its_own(panel, tmp_path, qtbot):  # noqa: F811
    """The stroke ends where the import lands: its undo tiles held the values from before
    the import, and undoing the stroke took the import's hole away on its frames."""
    model = panel.model
    imported = np.zeros(SHAPE, bool)
    imported[:, 10:40, 10:50] = True
    folder = mask_io.save_png(imported, None, tmp_path / "m")[0]
    model.begin_stroke(1, "remove", radius=3, scope="frame")
    model.stroke_to(5, 5)
    after_stroke = model.mask.copy()
    panel.start_import(folder)
    qtbot.waitUntil(lambda: not jobs.running_jobs(), timeout=10_000)
    qtbot.waitUntil(lambda: model.hole(1)[20, 20], timeout=10_000)
    assert model.stroking is None
    model.undo()  # the import alone
    np.testing.assert_array_equal(model.mask, after_stroke)
    model.redo()
    np.testing.assert_array_equal(model.mask >= 128, imported)


def test_the_last_mask_import_chosen_wins(panel, tmp_path, qtbot, monkeypatch):  # noqa: F811
    """A slow first import (a long video) finishing after the second one did not overwrite it."""
    from app.inpaint import panel as panel_module

    model = panel.model
    wrong = np.zeros(SHAPE, bool)
    wrong[:, 0:10, 0:10] = True
    right = np.zeros(SHAPE, bool)
    right[:, 20:40, 20:50] = True
    wrong_dir = mask_io.save_png(wrong, None, tmp_path / "wrong")[0]
    right_dir = mask_io.save_png(right, None, tmp_path / "right")[0]
    gate, real, stopped = threading.Event(), mask_io.load_mask, []

    def slow(path, shape, cancel=None, progress=None):
        if "wrong" in str(path):  # a long read: stopped once another import is chosen
            while not gate.wait(0.02):
                if cancel is not None and cancel():
                    stopped.append(path)
                    break
        return real(path, shape, cancel, progress)

    monkeypatch.setattr(panel_module.mask_io, "load_mask", slow)
    panel.start_import(wrong_dir)
    panel.start_import(right_dir)
    qtbot.waitUntil(lambda: model.hole(0)[30, 30], timeout=10_000)
    gate.set()
    qtbot.waitUntil(lambda: not jobs.running_jobs(), timeout=10_000)
    qtbot.wait(100)
    np.testing.assert_array_equal(model.mask >= 128, right)
    assert stopped == [wrong_dir]  # the first read was told to stop


def _hold_runs(monkeypatch) -> threading.Event:
    real, gate = generation.engine_levels, threading.Event()

    def held(frames, request, cancel):
        for level in real(frames, request, cancel):
            while not gate.wait(0.05) and not cancel():
                pass
            yield level

    monkeypatch.setattr(generation, "engine_levels", held)
    return gate


def _held_import(monkeypatch, stopped: list):
    """load_mask that reads nothing until cancelled (a long Full-HD video)."""
    from app.inpaint import panel as panel_module
    from engine.errors import Cancelled

    def held(path, shape, cancel=None, progress=None):
        while not cancel():
            threading.Event().wait(0.02)
        stopped.append(path)
        raise Cancelled()

    monkeypatch.setattr(panel_module.mask_io, "load_mask", held)


def test_a_mask_import_counts_its_frames_and_can_be_cancelled(panel, tmp_path, qtbot,  # noqa: F811
                                                              monkeypatch):
    """The status bar counts the frames read; while reading, Import… is Cancel Import, which
    stops the read and leaves the layers as they were (there was no way to stop a read of a
    long mask video but to wait)."""
    model = panel.model
    hole = np.zeros(SHAPE, bool)
    hole[:, 10:30, 10:30] = True
    folder = mask_io.save_png(hole, None, tmp_path / "m")[0]
    said: list[str] = []
    panel.message.connect(said.append)
    panel.start_import(folder)
    qtbot.waitUntil(lambda: any(m.startswith("Imported") for m in said), timeout=10_000)
    counted = [m for m in said if m.endswith("frames")]
    assert counted and counted[-1] == f"Importing m… {SHAPE[0]} of {SHAPE[0]} frames", said
    assert panel.import_button.text() == "Import…"

    model.clear()
    stopped: list = []
    _held_import(monkeypatch, stopped)
    job = panel.start_import(folder)
    assert panel.import_button.text() == "Cancel Import"
    panel.import_button.click()
    qtbot.waitUntil(lambda: job not in jobs.running_jobs(), timeout=10_000)
    qtbot.wait(50)
    assert stopped == [folder] and not model.mask.any()
    assert said[-1] == "Import of m cancelled; the mask is as it was."
    assert panel.import_button.text() == "Import…" and "Load a mask" in panel.import_button.toolTip()


def test_a_clip_change_stops_a_mask_import_read(panel, tmp_path, qtbot, monkeypatch):  # noqa: F811
    """Another clip opened while a mask is read stops the read at once (it was read to its end
    for nothing, seconds of a worker on a Full-HD video), and Import… is back."""
    stopped: list = []
    _held_import(monkeypatch, stopped)
    job = panel.start_import(tmp_path / "any")
    panel.model.reset(panel.model.shape)  # what opening another clip does
    qtbot.waitUntil(lambda: job not in jobs.running_jobs(), timeout=10_000)
    assert stopped == [tmp_path / "any"] and panel.import_button.text() == "Import…"


def test_a_refused_generate_leaves_the_running_runs_line(draft_window, qtbot, monkeypatch):
    """Too large, or Inpaint without a mask, pressed during a run: the dialog or the status
    bar says why, and the line keeps the run's progress ("Too large" over a running bar, and
    "Ready" once a mask was painted, before)."""
    from engine import limits

    win = draft_window
    gate = _hold_runs(monkeypatch)
    win.runs.generate()
    qtbot.wait(200)
    running = win.panel.status.text()
    assert win.generation.busy and running == "Starting…"
    with monkeypatch.context() as m:
        m.setattr(limits, "free_memory", lambda: 1000)
        m.setattr(win.messages, "error", lambda *a, **k: None)
        win.runs.generate()
    assert win.generation.busy and win.panel.status.text() == running
    win.panel.set_task("Inpaint")
    win.sync.commit()
    win.runs.generate()  # no mask
    win.inpaint.overlay.paint([(20, 15)])
    assert win.generation.busy and win.panel.status.text() == running
    win.generation.cancel()
    gate.set()


def test_a_stopped_grid_stays_stopped_when_the_editors_run_ends(draft_window, qtbot, monkeypatch):
    """The run's result goes to its tile and its score follows from the run: the grid
    started a worker to score it again, "Computing…" after the user's Stop."""
    window = draft_window
    gate, _ = hold_the_editors_runs(monkeypatch)
    window.panel.seed.setValue(5)
    window.panel.browse_count.setValue(2)
    window.runs.generate()
    browser = window.browsers.browse_seeds()
    browser.stop.click()
    started = []
    browser._start_worker = lambda: started.append(True)
    with qtbot.waitSignal(window.generation.scored, timeout=RUN_TIMEOUT_MS):
        gate.set()
    qtbot.wait(50)
    assert started == [] and not browser.busy
    tile = browser.tiles[5]
    assert tile.clip is not None and tile.clip.final and tile.clip.realism is not None


def test_update_on_change_waits_for_a_held_stroke(draft_window, qtbot):
    """A run that came while the brush was held read half-painted layers under the state
    the stroke had before it: an Undo of the stroke brought back that result from the cache."""
    win = draft_window
    win.panel.set_task("Inpaint")
    win.sync.commit()
    overlay, model, pane = win.inpaint.overlay, win.session.mask, win.viewer.source
    overlay.set_radius(3)
    overlay.paint([(8, 8)])
    with qtbot.waitSignal(win.generation.finished, timeout=RUN_TIMEOUT_MS):
        win.runs.generate()
    win.panel.auto_update.setChecked(True)
    qtbot.waitUntil(lambda: not win.generation.busy, timeout=RUN_TIMEOUT_MS)
    runs = win.generation.run_count
    win.panel.seed.setValue(win.panel.seed.value() + 1)
    held = Qt.MouseButton.LeftButton
    _mouse(pane, QEvent.Type.MouseButtonPress, 30, 20, held)
    _mouse(pane, QEvent.Type.MouseMove, 34, 20, held)
    qtbot.wait(800)  # past the panel's debounce, the button still held
    assert model.stroking is not None
    assert win.generation.run_count == runs and not win.generation.busy
    with qtbot.waitSignal(win.generation.finished, timeout=RUN_TIMEOUT_MS) as got:
        _mouse(pane, QEvent.Type.MouseButtonRelease, 34, 20, Qt.MouseButton.NoButton)
    assert win.generation.run_count == runs + 1
    assert got.args[0].token == win.runs.current_selection().token  # the whole stroke's


def test_a_mask_export_copies_the_layers_on_its_worker_and_counts_its_frames(panel, tmp_path,  # noqa: F811
                                                                               qtbot):
    """The copy ran on the GUI thread (340 ms for 64 painted Full-HD frames) and the white
    frames were a clip-sized np.repeat that held the GIL; now the copy is made on the worker,
    taken again when a stroke lands meanwhile, and the status bar counts the frames."""
    from app.state.project_file import SnapshotStale
    from engine.errors import Cancelled

    model = panel.model
    model.begin_stroke(0, "remove", radius=5, scope="all")
    model.stroke_to(20, 20)
    model.end_stroke()
    make = model.request_arrays_later()
    model.begin_stroke(0, "remove", radius=3, scope="frame")
    model.stroke_to(40, 30)
    model.end_stroke()
    with pytest.raises(SnapshotStale):
        make()
    said = []
    panel.message.connect(said.append)
    panel.start_export(tmp_path / "masks")
    qtbot.waitUntil(lambda: not jobs.running_jobs(), timeout=10_000)
    qtbot.waitUntil(lambda: any(s.startswith("Wrote") for s in said), timeout=10_000)
    assert any(s.endswith(f"{SHAPE[0]} of {SHAPE[0]} frames") for s in said), said
    back = mask_io.load_mask(tmp_path / "masks", SHAPE) >= 128
    np.testing.assert_array_equal(back, model.as_request_arrays()[0])
    with pytest.raises(Cancelled):
        mask_io.save_png(back, None, tmp_path / "cut", cancel=lambda: True)
    assert not (tmp_path / "cut").exists()


def test_a_run_that_prepares_its_input_says_so_and_cancels_there(draft_window, qtbot):
    """A sketch's frames are made before the first level (up to 20 s for 64 Full-HD
    frames): the panel said "Starting…" throughout; now it counts them, and a cancel then
    is heard there too."""
    from app.window.runs import PREPARING_TEXT
    from engine.errors import Cancelled
    from engine.request import Request

    win, gate, asked = draft_window, threading.Event(), []

    def prepare(request, cancel, progress):
        progress(3, 8)
        while not gate.wait(0.02):
            if cancel():
                asked.append(True)
                raise Cancelled()
        return request

    selection = win.runs.current_selection()
    win.generation.start(selection, Request(seed=3), prepare)
    qtbot.waitUntil(lambda: win.panel.status.text() == PREPARING_TEXT + " 3 of 8", timeout=10_000)
    assert win.panel.progress.value() == 3 and win.panel.progress.maximum() == 8
    win.generation.cancel()
    qtbot.waitUntil(lambda: not jobs.running_jobs(), timeout=10_000)
    assert asked == [True] and win.panel.status.text() == "Cancelled"
    gate.set()

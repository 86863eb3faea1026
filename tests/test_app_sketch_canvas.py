"""The Sketch task's canvas (app.sketch.canvas) in the editor: edits while the in-between
drawings are shown (on the GUI thread, or on a worker for a frame larger than SYNC_PIXELS),
with the onion skin on and off."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from tests.test_app_guided import _two_key_frames
from tests.test_app_support import CLIP_T


@pytest.fixture
def window(draft_window):
    return draft_window


def _errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]


def _as_drawn_now(sketch) -> np.ndarray:
    """The picture the canvas gives the frame in view, made afresh from the layers."""
    from app.sketch.canvas import SketchCanvas

    frame = sketch.overlay.frame
    return SketchCanvas(sketch.model).canvas(frame, sketch.panel.onion.isChecked())


def _held_jobs(monkeypatch) -> list:
    """Jobs started from now on are held, to be run on the GUI thread (run_held) at a
    chosen moment: what a worker reads then is what the layers hold."""
    from app.workers import jobs

    held: list = []
    monkeypatch.setattr(jobs, "start", lambda job: held.append(job) or job)
    return held


def _run_held(held: list) -> None:
    while held:
        held.pop(0).run()


@pytest.mark.parametrize("onion", [False, True])
def test_clearing_key_frames_shows_the_canvas_without_errors(window, qtbot, caplog, onion):
    """An edit says it is done (MaskModel.edited) before it says which frames are key
    frames now and what changed: the canvas was made again then (for the onion skin after
    a stroke), from key frames a Clear had just emptied, and failed (logged)."""
    sketch, pane, model = _two_key_frames(window)
    sketch.panel.onion.setChecked(onion)
    caplog.set_level("ERROR")
    window.playback.seek(4)  # between the key frames: Clear on All frames
    QApplication.processEvents()
    model.clear(scope="all")
    assert pane.badge.text() == "" and (pane.image.image == 255).all()
    model.undo()
    window.playback.seek(1)  # the key frame in view, This frame
    QApplication.processEvents()
    model.clear(scope="frame", frame=1)
    assert pane.badge.text() == f"Holds key {CLIP_T}"
    np.testing.assert_array_equal(pane.image.image, _as_drawn_now(sketch))
    assert not _errors(caplog), caplog.text


def test_an_edit_on_a_large_frame_keeps_the_canvas_on_the_worker(window, qtbot, caplog,
                                                                  monkeypatch):
    """On a large frame the canvas made when the edit said it was done was a worker's job
    that read the emptied key frame: its failure, on the layers' state of the moment, was
    taken for a fault, and every canvas was made on the GUI thread from then on."""
    from app.sketch import canvas as sketch_canvas

    monkeypatch.setattr(sketch_canvas, "SYNC_PIXELS", 0)
    sketch, pane, model = _two_key_frames(window)
    failed = []  # any job that failed, a fault or not: none began on stale key frames
    monkeypatch.setattr(sketch, "_on_prepare_failed", lambda job, message, *error: (
        failed.append(message)))
    sketch.panel.onion.setChecked(True)
    window.playback.seek(1)
    QApplication.processEvents()
    qtbot.waitUntil(lambda: sketch._preparing is None, timeout=10_000)
    caplog.set_level("ERROR")
    model.clear(scope="frame", frame=1)
    qtbot.waitUntil(lambda: sketch._preparing is None, timeout=10_000)
    QApplication.processEvents()
    assert not failed and not _errors(caplog), caplog.text
    np.testing.assert_array_equal(pane.image.image, _as_drawn_now(sketch))


def test_a_worker_that_read_layers_cleared_meanwhile_is_no_fault(window, qtbot, caplog,
                                                                 monkeypatch):
    """A worker reads the layers while the GUI thread edits them: a key frame cleared
    meanwhile has no ink, and its drawing fails. That is no fault (the canvas drops what
    was read then and makes it again), yet it was logged as a failed job."""
    from app.sketch import canvas as sketch_canvas

    monkeypatch.setattr(sketch_canvas, "SYNC_PIXELS", 0)
    held = _held_jobs(monkeypatch)
    sketch, pane, model = _two_key_frames(window)
    _run_held(held)
    window.playback.seek(4)
    QApplication.processEvents()
    assert held and sketch._preparing is held[0]
    caplog.set_level("ERROR")
    model.clear(scope="frame", frame=1)  # the worker has not read key frame 2 yet
    _run_held(held)
    assert not sketch._prepare_failed and not _errors(caplog), caplog.text
    assert pane.badge.text() == f"Holds key {CLIP_T}"
    np.testing.assert_array_equal(pane.image.image, _as_drawn_now(sketch))


def test_a_worker_that_read_a_key_frame_an_erase_stroke_empties_is_no_fault(
        window, qtbot, caplog, monkeypatch):
    """An erase stroke changes the layers before its end gives them a new state: a worker
    that read a key frame it emptied failed on the same MaskModel.state, was taken for a
    fault (logged), and every canvas was made on the GUI thread from then on."""
    from app.sketch import canvas as sketch_canvas

    monkeypatch.setattr(sketch_canvas, "SYNC_PIXELS", 0)
    held = _held_jobs(monkeypatch)
    sketch, pane, model = _two_key_frames(window)
    _run_held(held)
    sketch.panel.onion.setChecked(True)
    window.playback.seek(1)  # key frame 2: its onion neighbours are made on a worker
    QApplication.processEvents()
    assert held
    caplog.set_level("ERROR")
    model.begin_stroke(1, "erase", 20)
    model.stroke_to(8, 16)  # key frame 2's dot is gone, the stroke goes on
    _run_held(held)
    assert not sketch._prepare_failed and not _errors(caplog), caplog.text
    model.end_stroke()
    _run_held(held)
    assert pane.badge.text() == f"Holds key {CLIP_T}"
    np.testing.assert_array_equal(pane.image.image, _as_drawn_now(sketch))


def test_a_stroke_that_makes_a_key_frame_on_a_large_frame_shows_paper_until_it_ends(
        window, qtbot, monkeypatch):
    """On a frame larger than SYNC_PIXELS with the onion skin on, a stroke on a frame
    between key frames makes it a key frame: its old faint drawing stayed under the new ink
    until the stroke ended, and each piece of the stroke started a worker whose drawings the
    next piece made stale. Now paper at once, and the onion's frames once the stroke ends."""
    from app.sketch import canvas as sketch_canvas
    from app.workers import jobs

    monkeypatch.setattr(sketch_canvas, "SYNC_PIXELS", 0)
    sketch, pane, model = _two_key_frames(window)
    sketch.panel.onion.setChecked(True)
    window.playback.seek(4)
    QApplication.processEvents()
    qtbot.waitUntil(lambda: sketch._preparing is None and (pane.image.image < 255).any(),
                    timeout=10_000)
    started = []
    start = jobs.start
    monkeypatch.setattr(jobs, "start", lambda job: started.append(job) or start(job))
    model.begin_stroke(4, "remove", 3)
    for x in range(20, 30, 2):
        model.stroke_to(x, 24)
    assert (pane.image.image == 255).all() and started == []
    model.end_stroke()
    assert len(started) == 1
    qtbot.waitUntil(lambda: sketch._preparing is None, timeout=10_000)
    np.testing.assert_array_equal(pane.image.image, _as_drawn_now(sketch))
    assert (pane.image.image < 255).any()  # the frames around, tinted


def test_a_reopened_project_shows_the_key_frame_at_its_in_point(window, qtbot, tmp_path,
                                                               monkeypatch):
    """A project reopened under the Sketch task showed its in point's key frame as blank
    paper (an audit): the view showed the in point, then the sketch's new clip put its ink
    overlay back on frame 0, which holds none."""
    import shutil

    from app.window import prompts
    from tests.test_app_support import open_and_wait

    clip = window.session.clip.path
    sketch, pane, model = _two_key_frames(window)  # key frames 2 and CLIP_T
    window.session.in_out.set_range(1, CLIP_T - 1)  # in point on the first key frame
    target = tmp_path / "p.vgpnn"
    monkeypatch.setattr(prompts, "choose_project_to_save", lambda *a, **k: target)
    assert window.projects.save_as() and window.projects.wait()
    other = tmp_path / "other.mp4"
    shutil.copy(clip, other)
    open_and_wait(qtbot, window, other)
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.projects.open_project(target)
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=5000)
    assert window.panel.current_task() == "sketch" and window.playback.frame == 1
    assert sketch.overlay.frame == 1 and sketch.overlay.image.isVisible()
    assert (sketch.overlay.image.image[..., 3] > 0).any()  # its ink, not blank paper


def test_the_sketch_is_exported_as_a_run_gets_it_and_imports_back(window, qtbot, tmp_path,
                                                                  monkeypatch):
    """File ▸ Export Sketch… writes the in/out range's drawing (key frames and the slides
    between) as numbered PNG frames on a worker: what the command line's sketch takes, and
    what Import lays back over the range. An earlier export is asked about; an empty sketch
    has nothing to export."""
    from app.widgets import folder_dialog
    from app.window import prompts
    from engine.io import read_video

    folder, asked, failed, said = tmp_path / "sketch", [], [], []
    monkeypatch.setattr(folder_dialog, "choose_folder_to_write", lambda *a, **k: folder)
    monkeypatch.setattr(prompts, "ask_replace", lambda parent, there: asked.append(there) or True)
    window.error_reported.connect(failed.append)
    window.panel.set_task("Variations")
    window.export_sketch()  # nothing drawn yet: said, nothing written
    assert window.panel.current_task() == "sketch" and failed and not folder.exists()
    sketch, pane, model = _two_key_frames(window)  # key frames 2 and CLIP_T
    window.session.in_out.set_range(1, CLIP_T - 2)
    sketch.message.connect(said.append)
    window.export_sketch()
    qtbot.waitUntil(lambda: any(s.startswith("Wrote the sketch") for s in said), timeout=30_000)
    written = read_video(str(folder))
    frames = getattr(written, "frames", written)
    want = sketch.sketch_frames(1, CLIP_T - 2)
    assert frames.shape == want.shape and np.array_equal(frames, want)  # lossless PNG
    assert (frames[0] < 128).any() and (frames[-1] < 128).any()  # a slide, ink on every frame
    said.clear()
    window.export_sketch()  # the same folder again: asked first, then replaced
    qtbot.waitUntil(lambda: any(s.startswith("Wrote the sketch") for s in said), timeout=30_000)
    assert len(asked) == 1 and len(failed) == 1
    model.clear(scope="all")
    sketch.import_file(folder)  # laid over the same range: the same drawing there
    qtbot.waitUntil(lambda: not model.is_empty(), timeout=30_000)
    assert np.array_equal(sketch.sketch_frames(1, CLIP_T - 2) < 128, want < 128)
    window.error_reported.disconnect(failed.append)

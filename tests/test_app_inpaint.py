"""The Inpaint task in the editor: painting on the Source view, undo / redo by keys, strokes
on the in/out range and the timeline's marks, a run that keeps every pixel outside the
hole, exporting the result, and masks to and from PNG frames."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from app.state.project_file import load_project, save_project
from app.state.settings import EARLIER_LAYERS, Favourite
from app.window import prompts
from app.workers.exporter import ExportItem
from engine.io import read_video, write_video
from tests.test_app_support import (
    RUN_TIMEOUT_MS,
    close_and_check_threads,
    drag_on_view,
    make_window,
    moving_texture,
    open_and_wait,
)

T, H, W = 8, 48, 64
CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = CTRL | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clip")
    return write_video(moving_texture(T, H, W), folder / "inpaint.mp4", fps=Fraction(10),
                       crf=10)


@pytest.fixture
def window(draft_window):
    draft_window.projects.ask_to_save = False
    draft_window.panel.set_task("Inpaint")
    return draft_window


def paint(window, points, button=Qt.MouseButton.LeftButton) -> None:
    pane = window.viewer.source
    drag_on_view(pane.view, pane.box, points, button)


def key(qtbot, window, k, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window.viewer.source.view, k, modifiers)


def paint_and_generate(window, qtbot):
    """Paint a stroke with a 5 px brush, press Generate; the final result shown."""
    window.inpaint.overlay.set_radius(5)
    paint(window, [(20, 20), (40, 26)])
    shown = []
    window.result_shown.connect(shown.append)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.panel.generate.click()
    return shown[-1]


def set_scope(window, scope: str) -> None:
    combo = window.inpaint.panel.scope
    combo.setCurrentIndex(combo.findData(scope))


def test_inpaint_task_shows_its_tools(window):
    assert window.panel.current_task() == "inpaint" and window.inpaint.active
    assert window.inpaint.panel.isVisible() and window.viewer.source.isVisible()
    assert not window.panel.output_box.isVisible()  # inpaint keeps the clip's size
    assert window.actions_by_name["larger_brush"].isEnabled()
    assert window.inpaint.model.shape == (T, H, W)
    assert window.inpaint.overlay.image.isVisible()
    window.panel.set_task("Variations")
    assert not window.inpaint.active and window.panel.output_box.isVisible()
    assert not window.inpaint.overlay.image.isVisible()  # other tasks ignore the mask
    assert not window.actions_by_name["larger_brush"].isEnabled()


def test_paint_erase_undo_redo(window, qtbot):
    model, overlay = window.inpaint.model, window.inpaint.overlay
    key(qtbot, window, Qt.Key.Key_BracketRight)
    assert overlay.radius > 12  # ] makes the brush larger
    overlay.set_radius(4)
    paint(window, [(10, 24), (30, 24), (54, 24)])
    hole = model.hole(0)
    assert hole[24, 10:54].all() and not hole[5].any()
    expected = [True] + [False] * (T - 1)  # "This frame" by default
    assert model.masked_frames().tolist() == expected
    assert window.timeline.marks().tolist() == expected
    window.panel.set_task("Variations")  # a task that uses no mask marks no frames
    assert not window.timeline.marks().any()
    window.panel.set_task("Inpaint")
    assert window.timeline.marks().tolist() == expected
    painted = model.mask.copy()

    paint(window, [(28, 24), (34, 24)], Qt.MouseButton.RightButton)  # right-drag erases
    assert not model.hole(0)[24, 31] and model.hole(0)[24, 12]
    erased = model.mask.copy()
    key(qtbot, window, Qt.Key.Key_E)  # E: the eraser, left-drag
    paint(window, [(50, 24)])
    assert not model.hole(0)[24, 50]
    key(qtbot, window, Qt.Key.Key_E)
    assert overlay.tool == "brush"

    key(qtbot, window, Qt.Key.Key_Z, CTRL)
    np.testing.assert_array_equal(model.mask, erased)
    key(qtbot, window, Qt.Key.Key_Z, CTRL)
    np.testing.assert_array_equal(model.mask, painted)
    key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert not model.mask.any() and not window.timeline.marks().any()
    key(qtbot, window, Qt.Key.Key_Z, CTRL_SHIFT)
    np.testing.assert_array_equal(model.mask, painted)
    assert window.timeline.marks().tolist() == expected
    key(qtbot, window, Qt.Key.Key_Z, CTRL_SHIFT)
    np.testing.assert_array_equal(model.mask, erased)


def test_stroke_on_the_in_out_range_marks_those_frames(window):
    window.session.in_out.set_range(2, 5)
    set_scope(window, "range")
    window.inpaint.overlay.set_radius(5)
    paint(window, [(20, 20), (30, 22)])
    expected = [False, False, True, True, True, True, False, False]
    assert window.inpaint.model.masked_frames().tolist() == expected
    assert window.timeline.marks().tolist() == expected
    assert window.inpaint.model.hole(3)[21, 25]
    # The request holds the in/out range only, the size of the frames the engine gets.
    request = window.runs.current_request()
    assert request.task == "inpaint" and request.mask.shape == (4, H, W)
    assert request.mask.all(axis=0).any()  # the stroke is on every frame of the range
    assert (request.width, request.height, request.frames) == (None, None, None)
    assert request.settings.max_side is None


def test_generate_keeps_pixels_outside_the_hole_and_exports(window, qtbot, tmp_path):
    runs = window.generation.run_count
    window.runs.generate()  # no mask yet: a message instead of a run
    assert window.generation.run_count == runs
    assert "mask is empty" in window.statusBar().currentMessage()

    set_scope(window, "all")
    final = paint_and_generate(window, qtbot)
    assert final.final and final.request.task == "inpaint"
    assert window.view.mode == "side"  # the painted source stays in view
    assert window.viewer.source.isVisible() and window.viewer.result.has_frame()
    src = window.session.clip.frames
    hole, _ = window.inpaint.model.as_request_arrays()
    assert final.frames.shape == src.shape
    np.testing.assert_array_equal(final.frames[~hole], src[~hole])

    # Another mask is another run (requests compare equal whatever their masks) ...
    runs = window.generation.run_count
    paint(window, [(52, 10)])
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    assert window.generation.run_count == runs + 1
    hole, _ = window.inpaint.model.as_request_arrays()
    np.testing.assert_array_equal(window.view.result.frames[~hole], src[~hole])
    # ... and the same mask again comes from the cache.
    with qtbot.waitSignal(window.generation.finished, timeout=5000):
        window.runs.generate()
    assert window.generation.run_count == runs + 1

    result = window.view.result
    target = tmp_path / "inpainted_frames"
    with qtbot.waitSignal(window.exporter.finished, timeout=60_000) as blocker:
        window.exports.start_export([ExportItem(result.seed, result.request, result.frames)],
                            [target], crf=18)
    back = read_video(blocker.args[0][0])
    np.testing.assert_array_equal(back.frames, result.frames)  # PNG frames: lossless


def test_masks_export_and_import_as_png(window, tmp_path):
    model, panel = window.inpaint.model, window.inpaint.panel
    set_scope(window, "all")
    window.inpaint.overlay.set_radius(4)
    paint(window, [(12, 12), (20, 14)])
    panel.hint_kind.setChecked(True)
    panel.hint_color.set_color(QColor(255, 255, 255))
    paint(window, [(45, 30)])
    mask, hints = model.as_request_arrays()
    assert hints is not None and hints[0, 30, 45].tolist() == [255, 255, 255, 255]
    request = window.runs.current_request()  # the hint colours reach the engine's request
    np.testing.assert_array_equal(request.hints, hints)

    folder = tmp_path / "masks"
    assert panel.export_to(folder)
    assert len(list(folder.glob("*.png"))) == T
    frames = read_video(folder).frames
    np.testing.assert_array_equal(frames.max(axis=-1) > 127, mask)  # white = hole

    model.clear()
    assert model.is_empty() and not window.timeline.marks().any()
    assert panel.import_from(folder)  # the "_hints" folder beside it comes along
    back_mask, back_hints = model.as_request_arrays()
    np.testing.assert_array_equal(back_mask, mask)
    np.testing.assert_array_equal(back_hints, hints)
    assert window.timeline.marks().all()


def test_mask_survives_task_switches_and_goes_with_a_new_clip(window, qtbot, clip,
                                                              monkeypatch):
    model = window.inpaint.model
    window.inpaint.overlay.set_radius(4)
    paint(window, [(30, 30)])
    mask = model.mask.copy()
    window.panel.set_task("Retarget")
    paint(window, [(10, 10), (50, 40)])  # not painting now: the view pans instead
    np.testing.assert_array_equal(model.mask, mask)
    window.panel.set_task("Inpaint")
    np.testing.assert_array_equal(model.mask, mask)

    window.projects.ask_to_save = True
    answers = []

    def answer(choice):
        def ask(parent, name, before):
            answers.append((name, before))
            return choice
        return ask

    monkeypatch.setattr(prompts, "ask_save_changes", answer(prompts.CANCEL))
    window.projects.open_path(clip)
    assert answers == [("Untitled", "opening another clip")] and not window.clips.loading
    np.testing.assert_array_equal(model.mask, mask)
    monkeypatch.setattr(prompts, "ask_save_changes", answer(prompts.DISCARD))
    open_and_wait(qtbot, window, clip)
    assert model.is_empty() and not model.can_undo() and not window.timeline.marks().any()
    assert not window.session.dirty


def test_a_still_image_can_be_inpainted(window, qtbot, tmp_path):
    # A photo is a one-frame clip: its fill crashed in the engine before (a 3-frame
    # average over one frame).
    still = write_video(moving_texture(1, H, W), tmp_path / "still.png", fps=Fraction(10))
    open_and_wait(qtbot, window, still)
    window.panel.set_task("Inpaint")
    final = paint_and_generate(window, qtbot)
    src = window.session.clip.frames
    hole, _ = window.inpaint.model.as_request_arrays()
    assert final.final and final.frames.shape == src.shape == (1, H, W, 3)
    assert hole.any()
    np.testing.assert_array_equal(final.frames[~hole], src[~hole])


def test_specks_on_every_patch_are_refused_in_a_message(window, qtbot):
    """A mask of specks a few pixels apart touches every patch: the editor says why, in a
    message box, and which gap would work; the mask is kept for the user to change."""
    specks = np.zeros((T, H, W), bool)
    specks[:, ::4, ::4] = True
    window.inpaint.model.set_arrays(specks)
    with qtbot.waitSignal(window.error_reported, timeout=RUN_TIMEOUT_MS) as blocker:
        window.panel.generate.click()
    assert "touches the hole" in blocker.args[0] and "gaps of at least" in blocker.args[0]
    assert (window.inpaint.model.mask > 0).sum() == specks.sum()


def test_an_undone_mask_marks_its_result_out_of_date(window, qtbot):
    """The result stays (a valid video, still exportable) but says the mask it was made
    from is gone; redo brings the mask back and the mark goes."""
    paint_and_generate(window, qtbot)
    badge = window.viewer.result.badge
    assert badge.isHidden()
    key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert not window.inpaint.model.mask.any()
    qtbot.waitUntil(lambda: not badge.isHidden(), timeout=2000)
    assert "the mask has changed since" in badge.toolTip()
    key(qtbot, window, Qt.Key.Key_Z, CTRL_SHIFT)
    qtbot.waitUntil(badge.isHidden, timeout=2000)


def test_browse_seeds_with_an_empty_mask_says_so_first(window):
    assert window.browsers.browse_seeds() is None
    assert window.panel.status.text() == "Paint a mask first"
    # Another task: the request goes (it stayed under the bar of Variations).
    window.panel.set_task("Variations")
    assert window.panel.status.text() == "Ready"


def test_painting_after_a_refusal_takes_the_request_back(window):
    """After a run refused for lack of a mask, the panel kept "Paint a mask first" and the
    status bar the refusal over the painted frames; a mask on other frames than the in/out
    range is said as such (it read "The mask is empty (… the mask is on other frames)")."""
    window.session.in_out.set_range(0, 2)
    model = window.inpaint.model
    model.begin_stroke(5, "remove", 4, scope="frame")
    model.stroke_to(20, 20)
    model.end_stroke()
    window.runs.generate()
    said = window.statusBar().currentMessage()
    assert said.startswith("No mask in the in/out range (frames 1–3; it is on other frames)")
    assert window.panel.status.text() == "Paint a mask first"
    model.begin_stroke(1, "remove", 4, scope="frame")
    model.stroke_to(20, 20)
    model.end_stroke()
    assert window.panel.status.text() == "Ready"
    assert window.statusBar().currentMessage() == ""


def test_a_favourite_is_the_video_of_the_mask_it_was_starred_with(window, qtbot):
    """A favourite remembers which mask made it: after the mask changes, Export Favourites
    takes its video from the cache while it is there, and leaves it out (saying so) once
    it is gone, instead of writing another video made with the new mask."""
    window.inpaint.overlay.set_radius(5)
    paint(window, [(20, 20), (40, 26)])
    window.panel.browse_count.setValue(2)
    browser = window.browsers.browse_seeds()
    qtbot.waitUntil(lambda: browser.tiles[1].clip is not None and browser.tiles[1].clip.final,
                    timeout=RUN_TIMEOUT_MS)
    browser.tiles[1].star.click()
    starred = browser.tiles[1].clip.frames
    browser.close()
    paint(window, [(10, 40), (30, 44)])  # another mask
    (item,) = window.exports.favourite_items()
    np.testing.assert_array_equal(item.frames, starred)
    window.cache.clear()
    assert window.exports.favourite_items() == [] and [s for s, _ in window.exports.left_out] == [1]
    window.actions_by_name["undo_stroke"].trigger()  # the mask it was starred with
    (item,) = window.exports.favourite_items()
    assert item.frames is None and window.exports.left_out == []  # made again, the same


def test_a_saved_favourite_remembers_an_earlier_mask(window, qtbot, tmp_path):
    """A project saved after the mask changed marks the favourite starred before: opened
    again, it is not made with the mask the project holds (another video), it is left out
    of Export Favourites with a message, as in the session that starred it."""
    window.inpaint.overlay.set_radius(5)
    paint(window, [(20, 20), (40, 26)])
    window.sync.commit()
    assert window.session.settings.task == "inpaint"
    window.session.set_favourite(
        Favourite(1, window.session.settings.with_(seed=1), (0, T - 1),
                  window.session.layers_token(window.session.settings, (0, T - 1))), True)
    target = tmp_path / "now.vgpnn"
    save_project(window.session.snapshot(), target)
    assert load_project(target).favourites[0].layers == ()  # made with the saved mask
    paint(window, [(10, 40), (30, 44)])  # another mask, then saved
    save_project(window.session.snapshot(), target)
    assert load_project(target).favourites[0].layers == EARLIER_LAYERS

    other = make_window(qtbot, tmp_path / "other")
    try:
        with qtbot.waitSignal(other.source_loaded, timeout=30_000):
            other.projects.open_project(target)
        qtbot.waitUntil(lambda: not other.clips.loading, timeout=5000)
        assert other.exports.favourite_items() == [] and [s for s, _ in other.exports.left_out] == [1]
        other.session.mark_saved()
    finally:
        close_and_check_threads(qtbot, other)


def test_a_stroke_outside_the_range_leaves_its_result_current(window, qtbot):
    """The cache key names the range's mask only: painting another frame neither marks the
    result out of date nor makes Generate compute it again."""
    window.session.in_out.set_range(0, 3)
    window.playback.seek(1)
    paint_and_generate(window, qtbot)
    runs = window.generation.run_count
    window.playback.seek(T - 1)  # outside the range
    paint(window, [(10, 40), (30, 44)])
    assert window.freshness.check() == []
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    assert window.generation.run_count == runs  # from the cache


def test_the_menus_import_and_export_masks_on_a_worker(window, qtbot, tmp_path):
    """Reading or writing a Full-HD mask sequence takes seconds: the dialogs' paths run it
    on a worker, and the layers change on the GUI thread once read (one undo step)."""
    model, panel = window.inpaint.model, window.inpaint.panel
    set_scope(window, "all")
    window.inpaint.overlay.set_radius(4)
    paint(window, [(12, 12), (20, 14)])
    mask, _ = model.as_request_arrays()
    said = []
    panel.message.connect(said.append)
    folder = tmp_path / "masks"
    job = panel.start_export(folder)
    qtbot.waitUntil(lambda: any(s.startswith("Wrote masks") for s in said), timeout=30_000)
    assert job is not None and len(list(folder.glob("*.png"))) == T
    model.clear()
    panel.start_import(folder)
    qtbot.waitUntil(lambda: not model.is_empty(), timeout=30_000)
    np.testing.assert_array_equal(model.as_request_arrays()[0], mask)
    assert said[-1] == "Imported masks from masks." and model.undo_label() == "import"
    failed = []
    panel.failed.connect(lambda title, message: failed.append(title))
    panel.start_import(tmp_path / "nothing here")
    qtbot.waitUntil(lambda: bool(failed), timeout=30_000)
    assert failed == ["Cannot import the masks"]


def test_export_masks_asks_before_replacing_an_earlier_export(window, qtbot, tmp_path,
                                                              monkeypatch):
    """Export Masks over the folder of an earlier mask export asks first (the folder and
    its colours beside it); a folder that is not one of ours is refused, never replaced."""
    from app.widgets import folder_dialog

    model, panel = window.inpaint.model, window.inpaint.panel
    set_scope(window, "all")
    window.inpaint.overlay.set_radius(4)
    paint(window, [(12, 12), (20, 14)])
    panel.hint_kind.setChecked(True)
    paint(window, [(45, 30)])  # a hint colour: "<name>_hints" is written beside
    folder, picked = tmp_path / "masks", []
    monkeypatch.setattr(folder_dialog, "choose_folder_to_write", lambda *a, **k: picked[-1])
    asked = []
    monkeypatch.setattr(prompts, "ask_replace", lambda parent, there: asked.append(there) or False)
    said = []
    panel.message.connect(said.append)

    def export(target):
        picked.append(target)
        said.clear()
        window.export_masks()

    export(folder)  # a new folder: nothing to ask
    qtbot.waitUntil(lambda: any(s.startswith("Wrote masks") for s in said), timeout=30_000)
    assert asked == [] and (tmp_path / "masks_hints").is_dir()
    before = sorted(p.stat().st_mtime_ns for p in folder.glob("*.png"))
    model.clear()
    panel.remove_kind.setChecked(True)
    paint(window, [(30, 30)])  # no colour now
    export(folder)  # the earlier export: asked, and kept on "Cancel"
    assert asked == [[folder, tmp_path / "masks_hints"]] and not said and not window.clips.loading
    qtbot.wait(200)
    assert sorted(p.stat().st_mtime_ns for p in folder.glob("*.png")) == before
    monkeypatch.setattr(prompts, "ask_replace", lambda parent, there: asked.append(there) or True)
    export(folder)  # "Replace": written, and the colours erased since are removed
    qtbot.waitUntil(lambda: any(s.startswith("Wrote masks") for s in said), timeout=30_000)
    assert len(asked) == 2 and not (tmp_path / "masks_hints").exists()

    # Not one of ours (other files, or frames another tool wrote): refused, not asked.
    for name, files in (("holiday", ["beach.jpg"]), ("renders", ["frame_00001.png"])):
        other = tmp_path / name
        other.mkdir()
        for f in files:
            (other / f).write_bytes(b"the user's own")
        with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
            export(other)
        assert name in blocker.args[0] and len(asked) == 2
        assert [p.read_bytes() for p in other.iterdir()] == [b"the user's own"]


def test_the_export_dialog_chooses_an_earlier_exports_folder_instead_of_entering_it(qtbot, tmp_path):
    """Qt's Save dialog entered a folder whose name was typed (or offered): saving masks
    again to the earlier export's folder needed a detour. Ours is chosen; others entered."""
    from PySide6.QtWidgets import QDialogButtonBox

    from app.inpaint import mask_io
    from app.widgets.folder_dialog import FolderNameDialog

    mask_io.save_png(np.zeros((2, 8, 8), bool), None, tmp_path / "clip_mask")
    (tmp_path / "holiday").mkdir()
    for name, chosen in (("clip_mask", True), ("holiday", False), ("new_masks", True)):
        dialog = FolderNameDialog(None, "Export masks", tmp_path / name, mask_io.earlier_export)
        qtbot.addWidget(dialog)
        box = dialog.findChild(QDialogButtonBox, "buttonBox")
        accept = next(b for b in box.buttons() if box.buttonRole(b) == QDialogButtonBox.ButtonRole.AcceptRole)
        # Qt's "Open" for a folder's name, but "Save" for an earlier export's: it is chosen.
        assert accept.text() == ("&Save" if chosen else "&Open"), name
        dialog.accept()
        if chosen:
            assert dialog.result() == FolderNameDialog.DialogCode.Accepted
            assert dialog.chosen == tmp_path / name
        else:  # entered, as a Save dialog does: the dialog stays open there
            assert dialog.chosen is None and dialog.result() != FolderNameDialog.DialogCode.Accepted
            assert Path(dialog.directory().absolutePath()) == tmp_path / name


def test_choosing_a_hint_colour_selects_hint_strokes(window, qtbot, monkeypatch):
    """The swatch's colour is for the next strokes: choosing one selects Hint (strokes still
    removed until Hint was ticked too); a colour set by the program does not."""
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QColorDialog

    window.panel.set_task("Inpaint")
    panel = window.inpaint.panel
    panel.hint_color.set_color(QColor(10, 200, 10))
    assert panel.remove_kind.isChecked()
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor()))
    panel.hint_color.click()  # cancelled
    assert panel.remove_kind.isChecked()
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor(200, 40, 40)))
    panel.hint_color.click()
    assert panel.hint_kind.isChecked() and window.inpaint.overlay.hint_color == QColor(200, 40, 40)


def test_generate_reads_the_mask_on_the_runs_worker(window, qtbot, monkeypatch):
    """The mask and hint arrays of a run were made on the GUI thread at Generate (up to
    1.3 s for 64 Full-HD frames painted across, and after every stroke with Update on
    change): the run's worker makes them, and a second run on the same mask reuses them."""
    import threading

    model = window.inpaint.model
    real, made_on = model.request_arrays_later, []

    def spy(in_out=None):
        make = real(in_out)

        def made():
            made_on.append(threading.current_thread() is threading.main_thread())
            return make()
        return made

    monkeypatch.setattr(model, "request_arrays_later", spy)
    set_scope(window, "all")
    final = paint_and_generate(window, qtbot)
    assert made_on == [False]
    hole, _ = real()()  # not through the spy
    src = window.session.clip.frames
    np.testing.assert_array_equal(final.frames[~hole], src[~hole])  # that mask's run
    window.panel.seed.setValue(window.panel.seed.value() + 1)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    assert made_on == [False]  # kept, not made again


def _stale_once(window, monkeypatch) -> list:
    """The mask's maker raises LayersChanged the first time (a stroke during the read);
    returns the list of its calls."""
    from app.inpaint.mask_model import LayersChanged

    tries, real = [], window.inpaint.arrays_maker

    def once_stale(first, last):
        make = real(first, last)

        def made(request, cancel=None, progress=None):
            tries.append(1)
            if len(tries) == 1:
                raise LayersChanged()
            return make(request, cancel, progress)
        return made

    monkeypatch.setattr(window.inpaint, "arrays_maker", once_stale)
    return tries


def test_a_mask_painted_on_while_the_run_reads_it_runs_again(window, qtbot, monkeypatch):
    """A stroke begun just after Generate, while the worker copies the layers: the copy may
    be torn, so no result of it comes; the run is made again from the mask as it is."""
    tries = _stale_once(window, monkeypatch)
    set_scope(window, "all")
    final = paint_and_generate(window, qtbot)
    assert len(tries) == 2 and final.final


def test_a_grid_whose_mask_was_painted_on_while_read_browses_again(window, qtbot, monkeypatch):
    """Browse seeds reads the mask on its worker; a stroke written meanwhile failed every
    tile ("The mask was painted on…"), and Show failed again with the same stale read. The
    grid now starts again from the mask as it is; B with the pen down waits for the stroke."""
    tries = _stale_once(window, monkeypatch)
    window.inpaint.overlay.set_radius(5)
    paint(window, [(20, 20), (40, 26)])
    window.panel.browse_count.setValue(2)
    model = window.inpaint.model
    model.begin_stroke(1, "remove", 3, 1.0)  # the pen is down: B waits for the stroke's end
    model.stroke_to(50, 10)
    assert window.browsers.browse_seeds() is None and window.browsers.browser is None
    model.end_stroke()
    qtbot.waitUntil(lambda: window.browsers.browser is not None, timeout=5000)
    browser = window.browsers.browser
    qtbot.waitUntil(lambda: len(browser.tiles) == 2 and all(
        t.clip is not None and t.clip.final for t in browser.tiles.values()),
        timeout=RUN_TIMEOUT_MS)
    assert len(tries) >= 2 and not browser._failed


def test_favourites_export_reads_the_mask_when_it_starts(window, qtbot, monkeypatch):
    """Export Favourites makes its ranges one after another, minutes apart: a mask read only
    when a range's turn came failed the whole export after any stroke meanwhile. It is read
    when the export starts, as before the runs read theirs on their workers."""
    from app.state.settings import Favourite
    from engine.request import Request

    set_scope(window, "all")
    window.inpaint.overlay.set_radius(5)
    paint(window, [(20, 20), (40, 26)])
    settings = window.runs.sync.commit_typed()
    for seed, in_out in ((1, (0, T - 1)), (2, (0, T - 3))):
        window.session.set_favourite(Favourite(seed, settings.with_(seed=seed), in_out,
                                               layers=window.session.layers_token(settings, in_out)),
                                     True)
    items = window.exports.favourite_items()
    assert len(items) == 2 and all(item.prepare is not None for item in items)
    paint(window, [(5, 40)])  # a stroke while the export runs
    for item in items:  # (each on the export's worker, in turn)
        made = item.prepare(Request(task="inpaint"))
        assert made.mask is not None and made.mask.shape[0] == item.selection.length


def test_an_inpainting_run_says_it_reads_the_mask(window, qtbot, monkeypatch):
    """The run's worker reads the mask before its first level: the line said "Drawing the
    sketch's frames…" for an inpainting."""
    import threading

    from app.window.runs import READING_MASK_TEXT

    gate, real = threading.Event(), window.inpaint.arrays_maker

    def held(first, last, now=False):
        make = real(first, last, now)

        def made(request, cancel=None, progress=None):
            gate.wait(10)
            return make(request, cancel, progress)
        return made

    monkeypatch.setattr(window.inpaint, "arrays_maker", held)
    set_scope(window, "all")
    window.inpaint.overlay.set_radius(5)
    paint(window, [(20, 20), (40, 26)])
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
        qtbot.waitUntil(lambda: window.panel.status.text() == READING_MASK_TEXT, timeout=10_000)
        gate.set()

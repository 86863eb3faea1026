"""InpaintPanel: controls and shortcuts act on the MaskModel / MaskOverlay they were given."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QSlider,
    QSpinBox,
)

from app.inpaint.mask_model import MaskModel  # noqa: E402
from app.inpaint.painter import MaskOverlay  # noqa: E402
from app.inpaint.panel import InpaintPanel  # noqa: E402
from app.widgets import folder_dialog  # noqa: E402

SHAPE = (6, 48, 64)


@pytest.fixture
def panel(qtbot):
    view = pg.GraphicsView()
    box = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
    view.setCentralItem(box)
    base = pg.ImageItem(axisOrder="row-major")
    box.addItem(base)
    frames = np.full((*SHAPE, 3), 90, np.uint8)
    base.setImage(frames[0], autoLevels=False, levels=(0, 255))
    model = MaskModel(SHAPE)
    overlay = MaskOverlay(box, model, base)
    overlay.set_frame(1, frames[1])
    p = InpaintPanel(model, overlay)
    qtbot.addWidget(view)
    qtbot.addWidget(p)
    p.set_active(True)
    yield p
    overlay.set_active(False)


def test_every_control_has_a_tooltip(panel):
    for cls in (QAbstractButton, QCheckBox, QComboBox, QSlider, QSpinBox):
        for w in panel.findChildren(cls):
            action = w.defaultAction() if hasattr(w, "defaultAction") else None
            assert (action.toolTip() if action else w.toolTip()), w.objectName() or cls.__name__


def test_bracket_actions_change_brush_size(panel):
    start = panel.overlay.radius
    panel.larger_action.trigger()
    assert panel.overlay.radius > start
    panel.smaller_action.trigger()
    panel.smaller_action.trigger()
    assert panel.overlay.radius < start
    keys = {a.text(): [k.toString() for k in a.shortcuts()] for a in panel.window_actions()}
    assert keys["Smaller Brush"] == ["["] and keys["Larger Brush"] == ["]"]
    assert keys["Undo"] == ["Ctrl+Z"] and "Ctrl+Shift+Z" in keys["Redo"]  # nothing to undo yet


def test_shift_drag_size_reaches_the_spin_box(panel):
    panel.overlay.set_radius(30)
    assert panel.size_spin.value() == 60


def test_undo_redo_actions_follow_history(panel):
    assert not panel.undo_action.isEnabled()
    panel.overlay.paint([(20, 20)])
    assert panel.undo_action.isEnabled() and not panel.redo_action.isEnabled()
    panel.undo_action.trigger()
    assert not panel.model.mask.any() and panel.redo_action.isEnabled()
    panel.redo_action.trigger()
    assert panel.model.hole(1)[20, 20]
    # The menu names the step it undoes: an Invert is not a "Stroke".
    assert panel.undo_action.text() == "Undo Stroke"
    panel.model.invert()
    assert panel.undo_action.text() == "Undo Invert" and panel.redo_action.text() == "Redo"
    panel.undo_action.trigger()
    assert panel.redo_action.text() == "Redo Invert" and panel.undo_action.text() == "Undo Stroke"
    panel.set_active(False)
    assert not panel.undo_action.isEnabled()


def test_scope_and_edit_buttons(panel):
    panel.scope.setCurrentIndex(panel.scope.findData("all"))
    assert panel.overlay.scope == "all"
    panel.overlay.paint([(20, 20)])
    assert panel.model.masked_frames().all()
    assert "6 of 6" in panel.status.text()
    area = panel.model.hole(0).sum()
    grow = next(b for b in panel.findChildren(QAbstractButton) if b.text() == "Grow")
    grow.click()
    assert panel.model.hole(0).sum() > area
    panel.scope.setCurrentIndex(panel.scope.findData("frame"))
    clear = next(b for b in panel.findChildren(QAbstractButton) if b.text() == "Clear")
    clear.click()
    assert panel.model.masked_frames().tolist() == [True, False, True, True, True, True]


def test_eyedropper_pick_sets_hint_colour(panel):
    panel.overlay.colorPicked.emit(QColor(12, 34, 56))
    assert panel.hint_color.color() == QColor(12, 34, 56)
    assert panel.hint_kind.isChecked() and panel.overlay.kind == "hint"
    assert panel.overlay.hint_color == QColor(12, 34, 56)


def test_tool_buttons_and_eraser_toggle(panel):
    panel.eraser_action.trigger()
    assert panel.overlay.tool == "eraser"
    checked = [b.property("tool") for b in panel.tools.buttons() if b.isChecked()]
    assert checked == ["eraser"]
    panel.eraser_action.trigger()
    assert panel.overlay.tool == "brush"


def test_display_controls_reach_the_overlay(panel):
    panel.opacity.setValue(20)
    assert panel.overlay.opacity == pytest.approx(0.2)
    panel.show_mask.setChecked(False)
    assert not panel.overlay.image.isVisible()
    panel.onion.setChecked(True)
    assert panel.overlay.onion
    panel.hardness.setValue(30)
    assert panel.overlay.hardness == pytest.approx(0.3)


def test_export_import_through_panel(panel, tmp_path, qtbot):
    panel.overlay.paint([(20, 20)])
    with qtbot.waitSignal(panel.message) as msg:
        assert panel.export_to(tmp_path / "m")
    assert "m" in msg.args[0]
    panel.model.clear()
    assert panel.import_from(tmp_path / "m") and panel.model.hole(1)[20, 20]
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.txt").write_text("x")
    with qtbot.waitSignal(panel.failed) as msg:  # an error dialog, not a status line
        assert not panel.import_from(tmp_path / "junk")
    assert msg.args[0] == "Cannot import the masks" and "junk" in msg.args[1]


def test_an_import_read_for_one_clip_never_lands_on_another_of_its_size(panel, tmp_path, qtbot):
    """The import is read on a worker; another clip opened meanwhile (same size: a copy, a
    re-encode) resets the layers, and the import is dropped, not painted onto it."""
    from app.workers import jobs

    panel.overlay.paint([(20, 20)])
    assert panel.export_to(tmp_path / "m")
    panel.model.clear()
    job = panel.start_import(tmp_path / "m")
    panel.model.reset(panel.model.shape)  # what opening another clip does
    qtbot.waitUntil(lambda: job not in jobs.running_jobs(), timeout=10_000)
    qtbot.wait(50)
    assert not panel.model.mask.any() and not panel.model.can_undo()


def test_import_picks_a_sequence_from_any_frame_or_a_single_file(panel, tmp_path, qtbot, monkeypatch):
    """The import dialog picks files: a frame of a numbered sequence stands for its folder
    (with the hints beside it), an image for every frame, a video for itself."""
    from PySide6.QtWidgets import QFileDialog

    from app.inpaint import mask_io
    from engine.io import write_video

    panel.overlay.paint([(20, 20)])
    assert panel.export_to(tmp_path / "m")
    frames = sorted((tmp_path / "m").iterdir())
    assert len(frames) > 1 and mask_io.import_target(frames[1]) == tmp_path / "m"
    # The export's hidden mark (sorted first; a dialog showing hidden files offers it) stands
    # for its folder too: picked, it was read as a file and refused as no video or image.
    assert frames[0].name == ".vgpnn-frames" and mask_io.import_target(frames[0]) == tmp_path / "m"
    picked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (picked[-1], mask_io.MASK_FILTER)))
    panel.model.clear()
    picked.append(str(frames[1]))
    said: list[str] = []
    panel.message.connect(said.append)

    def choose_and_wait() -> None:  # read on a worker, taken when read
        count = len(said)
        panel.choose_import()
        qtbot.waitUntil(lambda: any(m.startswith("Imported") for m in said[count:]),
                        timeout=30_000)

    choose_and_wait()
    assert "from m." in said[-1] and panel.model.hole(1)[20, 20]

    t, h, w = panel.model.shape
    still = np.zeros((1, h, w, 3), np.uint8)
    still[0, 5:9, 30:34] = 255
    single = write_video(still, str(tmp_path / "hole.png"), fps=25)
    assert mask_io.import_target(single) == single  # no numbered siblings: itself
    picked.append(str(single))
    choose_and_wait()
    assert all(panel.model.hole(f)[6, 31] for f in range(t)) and not panel.model.hole(1)[20, 20]

    moving = np.zeros((t, h, w, 3), np.uint8)
    for f in range(t):
        moving[f, 10:20, 2 + f:12 + f] = 255
    video = write_video(moving, str(tmp_path / "matte.mp4"), fps=25, crf=0)
    picked.append(str(video))
    choose_and_wait()
    assert panel.model.hole(0)[15, 6] and not panel.model.hole(0)[6, 31]
    picked.append(str(tmp_path / "m" / "nothing.mp4"))
    with qtbot.waitSignal(panel.failed):
        panel.choose_import()


def test_the_export_button_refuses_an_empty_mask(panel, tmp_path, monkeypatch):
    """File ▸ Export Masks… refuses an empty mask; the panel's Export… button asked for a
    folder and wrote one black frame per frame of the clip."""
    asked = []

    def choose(parent, caption, start, takes):
        asked.append(start)
        return tmp_path / "masks"

    monkeypatch.setattr(folder_dialog, "choose_folder_to_write", choose)
    failures = []
    panel.failed.connect(lambda title, text: failures.append((title, text)))
    panel.export_button.click()
    assert not asked and not (tmp_path / "masks").exists()
    assert failures and failures[0][0] == "Cannot export the masks" and "no mask" in failures[0][1]

    # With paint it goes on to the dialog as before; an erased stroke is empty again.
    panel.model.begin_stroke(1, "remove", 6)
    panel.model.stroke_to(20, 20)
    panel.model.end_stroke()
    written = []
    monkeypatch.setattr(panel, "start_export", written.append)
    panel.export_button.click()
    assert len(asked) == 1 and written == [tmp_path / "masks"]
    panel.model.clear()
    panel.export_button.click()
    assert len(asked) == 1 and len(failures) == 2


def test_an_edit_of_many_frames_shows_the_wait_cursor(panel, monkeypatch):
    """A Grow over a long Full-HD clip holds the GUI thread for a few tenths of a second:
    the pointer says so while it runs, and is itself again after (a failing edit too)."""
    from PySide6.QtWidgets import QApplication

    from app.inpaint import panel as panel_module

    seen = []

    def grow(pixels, scope, frame, in_out):
        cursor = QApplication.overrideCursor()
        seen.append(None if cursor is None else cursor.shape())
        return True

    monkeypatch.setattr(panel.model, "grow", grow)
    panel.scope.setCurrentIndex(panel.scope.findData("all"))
    panel.edit_buttons["Grow"].click()  # 6 small frames: not worth a cursor
    monkeypatch.setattr(panel_module, "BUSY_PIXELS", 0)
    panel.edit_buttons["Grow"].click()
    from PySide6.QtCore import Qt
    assert seen == [None, Qt.CursorShape.WaitCursor]
    assert QApplication.overrideCursor() is None


def test_a_stills_exported_mask_comes_back_with_its_hint_colours(panel, tmp_path):
    """A still's export is one frame; picked in the import dialog, that frame was read as an
    image alone and the "_hints" folder beside its folder was left out."""
    from app.inpaint import mask_io

    hole = np.zeros((1, 48, 64), bool)
    hole[0, 10:30, 10:30] = True
    hints = np.zeros((1, 48, 64, 4), np.uint8)
    hints[0, 15:25, 15:25] = (0, 200, 0, 255)
    folder = mask_io.save_png(hole, hints, tmp_path / "photo_masks")[0]
    frame = next(p for p in folder.iterdir() if p.suffix == ".png")
    assert mask_io.import_target(frame) == folder


def test_an_image_picked_beside_an_image_of_another_name_is_itself(tmp_path):
    """beach_mask1.png beside beach_2024.png: both names end in digits, so the pick stood
    for the folder, which the engine then refused as two image sequences."""
    from app.inpaint import mask_io
    from engine.io import write_video

    still = np.zeros((1, 48, 64, 3), np.uint8)
    mask = write_video(still, str(tmp_path / "beach_mask1.png"), fps=25)
    write_video(still, str(tmp_path / "beach_2024.png"), fps=25)
    assert mask_io.import_target(mask) == mask
    write_video(still, str(tmp_path / "beach_mask2.png"), fps=25)  # now a sequence of two
    assert mask_io.import_target(mask) == tmp_path

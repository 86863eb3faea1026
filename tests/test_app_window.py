"""Main window: opening clips (dialog-free paths, drop, recent, bad files), playback keys,
scrubbing, in/out and the source / result views."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from app.widgets.timeline import IN_OUT_COLOR
from tests.test_app_support import (
    CLIP_FPS,
    CLIP_H,
    CLIP_T,
    CLIP_W,
    RUN_TIMEOUT_MS,
    drag_on_view,
    open_and_wait,
    write_tiny_clip,
)


def key(qtbot, window, k, modifier=Qt.KeyboardModifier.NoModifier):
    """A key pressed with the viewer focused (as after start-up)."""
    window.viewer.focus_view()
    pane = window.viewer.result if window.viewer.mode == "result" else window.viewer.source
    qtbot.keyClick(pane.view, k, modifier)


def message_boxes(window) -> list[QMessageBox]:
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def test_open_shows_clip_info(window, clip, qtbot):
    assert window.session.clip.length == CLIP_T
    assert (window.session.clip.width, window.session.clip.height) == (CLIP_W, CLIP_H)
    text = window.info.text()
    assert clip.name in text and f"{CLIP_W}×{CLIP_H}" in text and f"{CLIP_T} frames" in text
    assert f"{CLIP_FPS} fps" in text and "0.80 s" in text
    assert window.playback.length == CLIP_T
    assert window.viewer.source.has_frame()
    assert window.recent.paths()[0] == str(clip.resolve())
    qtbot.wait(500)  # past the panel's debounce: opening a clip is not an unsaved change
    assert not window.session.dirty
    assert window.windowTitle() == f"Untitled — {clip.name} — VGPNN Editor"


def test_the_bundled_sample_stays_out_of_open_recent(window, qtbot):
    from engine.io import SAMPLE_CLIP

    before = window.recent.paths()
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.projects.open_path(SAMPLE_CLIP)  # what every start without a file does
    assert window.recent.paths() == before


def test_a_clip_read_smaller_says_so_in_the_header():
    from fractions import Fraction

    import numpy as np

    from app.state.media import Source
    from engine.io.clip import VideoClip

    clip = VideoClip(np.zeros((2, 18, 32, 3), np.uint8), Fraction(10), None,
                     notes=["downscaled from 1920x1080 to 32x18"])
    assert "32×18 (downscaled from 1920x1080) · 2 frames" in Source(clip).describe()


def test_the_header_names_ntsc_frame_rates_as_cameras_do():
    from fractions import Fraction

    import numpy as np

    from app.state.media import Source
    from engine.io.clip import VideoClip

    def rate(fps):
        clip = VideoClip(np.zeros((2, 18, 32, 3), np.uint8), fps, None)
        return Source(clip).describe().split(" · ")[2]

    assert rate(Fraction(30000, 1001)) == "29.97 fps"
    assert rate(Fraction(60000, 1001)) == "59.94 fps"
    assert rate(Fraction(24000, 1001)) == "23.976 fps"
    assert rate(Fraction(25)) == "25 fps" and rate(Fraction(25, 2)) == "12.5 fps"


def test_bad_file_gives_a_dialog_not_a_crash(window, tmp_path, qtbot):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video")
    with qtbot.waitSignal(window.error_reported, timeout=30_000) as blocker:
        window.projects.open_path(bad)
    assert "notes.mp4" in blocker.args[0]
    assert message_boxes(window), "a message box should explain the problem"
    assert window.session.clip is not None and window.session.clip.length == CLIP_T  # still usable
    qtbot.waitUntil(lambda: not window.clips.loading)
    with qtbot.waitSignal(window.error_reported, timeout=30_000):
        window.projects.open_path(tmp_path / "missing.mp4")
    assert "not found" in window.messages.last_error


def test_drop_and_open_recent(window, clip, tmp_path, qtbot):
    other = write_tiny_clip(tmp_path, "other.mp4")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.dropEvent(event)
    assert window.session.clip.name == "other.mp4"
    window.recent_menu.aboutToShow.emit()
    names = [a.text() for a in window.recent_menu.actions()]
    assert names[:2] == ["other.mp4", clip.name]
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.recent_menu.actions()[1].trigger()
    assert window.session.clip.name == clip.name


def drop(window, paths) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    window.dropEvent(QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))


def test_several_dropped_files_open_the_first_clip_and_name_the_rest(window, clip, tmp_path,
                                                                    qtbot):
    """[a text file, a clip, another clip] dropped together: the first clip opens (not the
    text file's dialog), and the status line names the files left out, and why."""
    notes = tmp_path / "notes.txt"
    notes.write_text("shot list")
    other = write_tiny_clip(tmp_path, "other.mp4")
    third = write_tiny_clip(tmp_path, "third.mp4")
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        drop(window, [notes, other, third])
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=5000)
    assert window.session.clip.name == "other.mp4" and not message_boxes(window)
    said = window.statusBar().currentMessage()
    assert said.startswith("Opened other.mp4; ignored notes.txt (not a clip"), said
    assert "third.mp4 (one clip at a time)" in said
    # A folder of numbered images counts as a clip; files none of which open: one dialog.
    frames = tmp_path / "frames"
    frames.mkdir()
    from engine.io import write_video

    write_video(np.zeros((3, 16, 16, 3), np.uint8), str(frames) + "/", fps=10)
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        drop(window, [notes, frames])
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=5000)
    assert window.session.clip.length == 3
    with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
        drop(window, [notes, tmp_path / "todo.doc"])
    assert blocker.args[0].startswith("None of the 2 dropped files") and not window.clips.loading
    # A lone file is tried as before: its own dialog says why it cannot be opened.
    with qtbot.waitSignal(window.error_reported, timeout=30_000) as blocker:
        drop(window, [notes])
    assert "notes.txt" in blocker.args[0] and "None of" not in blocker.args[0]
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=5000)


def test_recent_names_with_an_ampersand_read_as_written(qtbot):
    from PySide6.QtWidgets import QMenu

    from app.window.menus import fill_paths

    menu = QMenu()
    qtbot.addWidget(menu)
    opened = []
    fill_paths(menu, ["/clips/Tom & Jerry.mp4"], opened.append, lambda: None)
    action = menu.actions()[0]
    assert action.text() == "Tom && Jerry.mp4"  # Qt shows "&&" as one "&", not a mnemonic
    action.trigger()
    assert opened == ["/clips/Tom & Jerry.mp4"]


def test_two_editors_on_one_settings_file_keep_each_others_recent_files(tmp_path):
    """Each editor read the list from its own cached copy and wrote it back, dropping the
    other's clip; the list is read from the file first now."""
    from PySide6.QtCore import QSettings

    from app.window.recent_files import RecentFiles

    ini = str(tmp_path / "settings.ini")
    first = RecentFiles(QSettings(ini, QSettings.Format.IniFormat))
    assert first.paths() == []  # read, and cached by this process
    other_editor = (  # another process on the same file opens b.mp4
        "import sys; from PySide6.QtCore import QSettings; "
        "from app.window.recent_files import RecentFiles; "
        "RecentFiles(QSettings(sys.argv[1], QSettings.Format.IniFormat)).add(sys.argv[2])")
    subprocess.run([sys.executable, "-c", other_editor, ini, str(tmp_path / "b.mp4")],
                   check=True, cwd=Path(__file__).parents[1])
    first.add(tmp_path / "a.mp4")
    assert first.paths() == [str((tmp_path / n).resolve()) for n in ("a.mp4", "b.mp4")]


def test_play_and_shuttle_keys(window, qtbot):
    pb = window.playback
    key(qtbot, window, Qt.Key.Key_Space)
    assert pb.playing and pb.rate == 1
    qtbot.waitUntil(lambda: pb.frame >= 2, timeout=3000)
    key(qtbot, window, Qt.Key.Key_Space)
    assert not pb.playing
    key(qtbot, window, Qt.Key.Key_L)
    key(qtbot, window, Qt.Key.Key_L)
    assert pb.rate == 2
    key(qtbot, window, Qt.Key.Key_L)
    key(qtbot, window, Qt.Key.Key_L)
    key(qtbot, window, Qt.Key.Key_L)
    assert pb.rate == 8  # 1x, 2x, 4x, 8x and no faster
    key(qtbot, window, Qt.Key.Key_J)
    assert pb.rate == -1
    key(qtbot, window, Qt.Key.Key_J)
    assert pb.rate == -2
    assert "2×" in window.transport.speed.text()
    key(qtbot, window, Qt.Key.Key_K)
    assert pb.rate == 0 and not pb.playing


def test_step_keys(window, qtbot):
    pb = window.playback
    key(qtbot, window, Qt.Key.Key_Home)
    assert pb.frame == 0
    key(qtbot, window, Qt.Key.Key_Right)
    key(qtbot, window, Qt.Key.Key_Right)
    assert pb.frame == 2
    key(qtbot, window, Qt.Key.Key_Left)
    assert pb.frame == 1
    key(qtbot, window, Qt.Key.Key_End)
    assert pb.frame == CLIP_T - 1
    key(qtbot, window, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)  # one second
    assert pb.frame == max(0, CLIP_T - 1 - CLIP_FPS)
    key(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert pb.frame == CLIP_T - 1  # clamped at the end
    assert window.transport.position.text().startswith(f"{CLIP_T} / {CLIP_T}")


def test_in_out_keys_set_the_input_range(window, qtbot):
    pb = window.playback
    pb.seek(2)
    key(qtbot, window, Qt.Key.Key_I)
    pb.seek(5)
    key(qtbot, window, Qt.Key.Key_O)
    assert (window.session.in_out.in_point, window.session.in_out.out_point) == (2, 5)
    selection = window.runs.current_selection()
    assert selection.length == 4 and selection.in_point == 2
    assert window.runs.current_request().frames == 4  # duration follows the range
    assert "×1.00 T" in window.panel.output.scale_label.text()


def test_scrub_by_clicking_the_timeline(window, qtbot):
    tl = window.timeline
    box = tl.getPlotItem().getViewBox()
    for target in (5, 1):
        scene_pos = box.mapViewToScene(QPointF(target, 0.5))
        view_pos = tl.mapFromScene(scene_pos)
        qtbot.mouseClick(tl.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(view_pos.x(),
                                                                               view_pos.y()))
        assert window.playback.frame == target
        assert tl.playhead.value() == target


def test_a_still_fills_the_timeline_with_thumbnails_of_its_aspect(window, qtbot):
    tl = window.timeline
    frames = window.session.clip.frames
    h, w = frames.shape[1:3]
    qtbot.waitUntil(lambda: tl._strip.image is not None, timeout=5000)
    for clip in (frames[:1], frames[:2]):  # a still, two frames: repeated, not stretched
        tl.set_clip(clip, 10.0)
        strip = tl._strip.image
        box = tl._box.sceneBoundingRect()
        thumbs = strip.shape[1] / (strip.shape[0] * w / h)
        assert thumbs >= box.width() / (box.height() * w / h) - 1 and thumbs > len(clip)


def test_view_modes(window, qtbot):
    assert window.view.mode == "source"
    window.session.in_out.set_range(1, 5)
    window.playback.seek(6)  # outside the range: Result and back must not lose the place
    window.view.toggle_source_result()
    window.view.toggle_source_result()
    assert window.view.mode == "source" and window.playback.frame == 6
    key(qtbot, window, Qt.Key.Key_Tab)
    assert window.view.mode == "result"
    assert window.viewer.result.isVisible() and not window.viewer.source.isVisible()
    assert "No result" in window.viewer.result.placeholder.text()
    key(qtbot, window, Qt.Key.Key_Backslash)
    assert window.view.mode == "side"
    assert window.viewer.result.isVisible() and window.viewer.source.isVisible()
    window.transport.buttons["source"].click()
    assert window.view.mode == "source" and not window.viewer.result.isVisible()
    assert (window.session.in_out.in_point, window.session.in_out.out_point) == (1, 5)  # survived the switch


def test_side_by_side_shows_both_frames_at_one_scale(window, qtbot):
    """pyqtgraph's fit leaves a margin that shrinks as the pane widens, and a fit kept the
    margin of the width it was made at: the Source pane, fitted alone, showed the frame at
    another scale than the Result pane beside it (468 against 456 pixels)."""
    window.resize(1400, 860)
    QApplication.processEvents()
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    window.view.set_view_mode("side")
    for _ in range(3):
        QApplication.processEvents()
    spans = [pane.box.viewRange()[0][1] - pane.box.viewRange()[0][0]
             for pane in (window.viewer.source, window.viewer.result)]
    widths = [pane.box.width() for pane in (window.viewer.source, window.viewer.result)]
    scales = [w / span for w, span in zip(widths, spans, strict=True)]
    assert abs(scales[0] - scales[1]) < 0.01 * scales[0], (scales, widths)


def test_drag_in_out_markers(window, qtbot):
    tl = window.timeline
    tl._out_line.setValue(4.5)
    tl._out_line.sigDragged.emit(tl._out_line)  # as a mouse drag does
    assert (window.session.in_out.in_point, window.session.in_out.out_point) == (0, 4)
    assert window.panel.output.values()[2] == 5

    def drag(line, value):
        line.setValue(value)
        line.sigDragged.emit(line)
        return window.session.in_out.in_point, window.session.in_out.out_point

    assert drag(tl._out_line, 2.23) == (0, 2) and tl._out_line.value() == 2.5  # snapped
    assert drag(tl._in_line, 3.9) == (2, 2)  # past out: stops there
    assert tl._in_line.value() == 1.5 and tl._out_line.value() == 2.5  # drawn where it is
    assert drag(tl._in_line, 3.9) == (2, 2) and tl._in_line.value() == 1.5  # no change: still
    assert drag(tl._out_line, 0.2) == (2, 2)  # out before in stops at in, not at a stale line
    assert drag(tl._in_line, 0.6) == (1, 2) and drag(tl._out_line, 4.4) == (1, 4)


def test_zoom_stops_before_the_frame_is_lost(window, qtbot):
    box = window.viewer.source.box
    w = window.session.clip.width
    for _ in range(60):
        box.scaleBy((0.5, 0.5))
    assert box.viewRange()[0][1] - box.viewRange()[0][0] >= 4 - 1e-6
    for _ in range(60):
        box.scaleBy((2, 2))
    assert box.viewRange()[0][1] - box.viewRange()[0][0] <= 8 * max(w, window.session.clip.height) + 1e-6


def test_fit_key_refits_after_zoom(window, qtbot):
    box = window.viewer.source.box
    box.scaleBy((0.25, 0.25))
    zoomed = box.viewRange()[0][1] - box.viewRange()[0][0]
    key(qtbot, window, Qt.Key.Key_F)
    fitted = box.viewRange()[0][1] - box.viewRange()[0][0]
    assert fitted > zoomed * 2


def test_mask_import_error_gives_a_dialog(window, tmp_path, qtbot):
    """A mask folder that does not fit the clip is explained in a message box."""
    import numpy as np

    from engine.io import write_video

    write_video(np.full((1, 40, 40, 3), 255, np.uint8), str(tmp_path / "square") + "/", fps=25)
    window.panel.set_task("Inpaint")
    with qtbot.waitSignal(window.error_reported, timeout=30_000):
        assert not window.inpaint.panel.import_from(tmp_path / "square")
    assert "aspect ratio" in window.messages.last_error
    assert message_boxes(window)


def test_the_shortcut_help_lists_every_menu_key(window):
    """F1 lists all keys: every shortcut of the menus is in its table."""
    from PySide6.QtGui import QKeySequence

    from app.window.help_text import SHORTCUT_HELP

    text = SHORTCUT_HELP.replace("\\\\", "\\")
    missing = []
    for name, action in window.actions_by_name.items():
        for key in action.shortcuts():
            shown = key.toString(QKeySequence.SequenceFormat.NativeText)
            shown = {"Left": "←", "Right": "→", "Shift+Left": "Shift+←", "Shift+Right": "Shift+→",
                     "Return": "Enter", "Ctrl+Return": "Ctrl+Enter"}.get(shown, shown)
            if shown not in text and not (name.startswith("sketch_") or shown in ("Ctrl+Enter",)):
                missing.append(f"{name}: {shown}")
    assert not missing, missing


def test_the_shortcut_list_fits_a_small_screen(window, qtbot):
    """F1 opens a scrolling window no taller than the screen (a message box of the 40-row
    table was 832 px, past a 1024x640 screen's edge)."""
    from PySide6.QtWidgets import QDialog, QTextBrowser

    window.actions_by_name["keys"].trigger()
    [dialog] = [d for d in window.findChildren(QDialog, "longText") if d.isVisible()]
    screen = window.screen().availableGeometry()
    assert dialog.height() <= screen.height() * 0.85 + 1
    assert "Ctrl+Shift+O" in dialog.findChild(QTextBrowser).toPlainText()
    dialog.accept()


def test_panel_controls_take_space_when_tabbed_to(window, qtbot):
    """Tab reaches Generate's row and the check boxes; Space then ticks the box it is on,
    it does not play the video."""
    def ticked_by_space(box) -> bool:
        before = box.isChecked()
        box.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(box.hasFocus, timeout=2000)
        qtbot.keyClick(box, Qt.Key.Key_Space)
        ticked = box.isChecked() != before and not window.playback.playing
        box.setChecked(before)
        return ticked

    assert ticked_by_space(window.panel.auto_update)
    window.viewer.source.view.setFocus()
    key(qtbot, window, Qt.Key.Key_Space)  # elsewhere Space still plays
    assert window.playback.playing
    window.playback.stop()
    assert window.transport.buttons["play"].accessibleName() == "Play"
    assert window.panel.seed.accessibleName() == "Seed"
    window.panel.set_task("Inpaint")  # the painting tools joined the panel later
    assert ticked_by_space(window.inpaint.panel.show_mask)


def test_a_picked_frame_of_a_sequence_asks_what_to_open(window, qtbot, tmp_path, monkeypatch):
    from fractions import Fraction

    import numpy as np

    from app.window import prompts
    from engine.io import write_video

    seq = write_video(np.zeros((5, 16, 24, 3), np.uint8), str(tmp_path / "seq") + "/",
                      fps=Fraction(10))
    frame = sorted(seq.glob("*.png"))[2]
    asked = []

    def answer(choice):
        return lambda parent, name, folder, count: asked.append((name, count)) or choice

    monkeypatch.setattr(prompts, "ask_sequence_or_image", answer(prompts.SEQUENCE))
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.open_picked(frame)
    assert window.session.clip.length == 5 and asked == [(frame.name, 5)]
    monkeypatch.setattr(prompts, "ask_sequence_or_image", answer(prompts.IMAGE))
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.open_picked(frame)
    assert window.session.clip.length == 1
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=5000)
    monkeypatch.setattr(prompts, "ask_sequence_or_image", answer(None))
    window.open_picked(frame)  # cancelled: nothing opens
    assert not window.clips.loading and window.session.clip.length == 1


def test_preferences_come_back_at_the_next_start(qtbot, tmp_path, clip):
    """Quality, Update on change, the browse count, each task's noise and the window's
    size come back; the clip's sizes do not (a new clip sets its own)."""
    from tests.test_app_support import close_and_check_threads, make_window

    first = make_window(qtbot, tmp_path, clip)
    first.panel.set_quality("draft")
    first.panel.auto_update.setChecked(False)
    first.panel.browse_count.setValue(4)
    first.panel.current_page().noise.set_value(1.1)
    first.resize(1010, 620)
    close_and_check_threads(qtbot, first)
    again = make_window(qtbot, tmp_path, clip)  # the same settings file
    try:
        settings = again.session.settings
        assert settings.quality == "draft" and not settings.auto_update
        assert settings.browse_count == 4 and settings.noise["generate"] == 1.1
        assert again.panel.browse_count.value() == 4 and not again.panel.auto_update.isChecked()
        assert not again.settings.value("window/geometry").isEmpty()  # (offscreen Qt has no
        # window manager to place it as asked)
        assert (settings.width, settings.height) == (again.session.clip.width,
                                                     again.session.clip.height)
    finally:
        close_and_check_threads(qtbot, again)


def test_in_and_out_in_the_result_view_say_why_nothing_happens(window, qtbot):
    window.session.in_out.set_range(1, 5)
    window.view.set_view_mode("result")
    window.playback.seek(0)
    window.view.set_in_point()
    assert (window.session.in_out.in_point, window.session.in_out.out_point) == (1, 5)
    assert "switch to Source" in window.statusBar().currentMessage()
    window.view.set_view_mode("source")


def test_the_in_out_tabs_and_a_few_pixels_beside_the_lines_drag_them(window, qtbot):
    """The IN / OUT tab is the obvious handle: dragging it moves the in point (it scrubbed
    the playhead), and a press a few pixels off the line still takes it."""
    tl, box = window.timeline, window.timeline._box
    tl.resize(800, tl.height())
    qtbot.wait(50)
    label = box.mapSceneToView(tl._in_line.label.sceneBoundingRect().center())
    drag_on_view(tl, box, [(label.x(), label.y()), (2.0, label.y()), (3.0, label.y())])
    assert window.session.in_out.in_point == 3
    # 5 screen pixels right of the OUT line (pyqtgraph's own zone is about 2).
    window.view.clear_in_out()
    qtbot.wait(20)
    px = box.mapSceneToView(QPointF(5, 0)).x() - box.mapSceneToView(QPointF(0, 0)).x()
    at = CLIP_T - 0.5 - px
    drag_on_view(tl, box, [(at, 0.5), (CLIP_T - 3.0, 0.5), (CLIP_T - 3.0, 0.5)])
    assert window.session.in_out.out_point == CLIP_T - 3


def test_keys_move_between_panes_and_tab_keeps_to_the_viewer(window, qtbot):
    """Tab in the viewer switches Source / Result and the focus stays in the viewer (it
    fell to the timeline, whose Tab switched again: the side panel was never reached);
    F6 moves the focus: viewer, timeline, the panel's Task box, viewer."""
    from PySide6.QtWidgets import QApplication

    window.activateWindow()
    key(qtbot, window, Qt.Key.Key_Tab)
    assert window.view.mode == "result"
    assert window.viewer.isAncestorOf(QApplication.focusWidget())
    window.actions_by_name["next_pane"].trigger()
    assert QApplication.focusWidget() is window.timeline
    window.actions_by_name["next_pane"].trigger()
    assert QApplication.focusWidget() is window.panel.task
    window.actions_by_name["next_pane"].trigger()
    assert window.viewer.isAncestorOf(QApplication.focusWidget())


# A 1440×900 screen at 200 % is 720 logical px wide (less the window's frame); a 1366×768
# laptop leaves about 700 px of height under the title bar and above the task bar.
SMALL_SCREEN_W, SMALL_SCREEN_H = 680, 700


def test_the_window_stays_as_narrow_with_a_long_name_and_while_playing(window, qtbot, clip,
                                                                       tmp_path):
    """A long file name is elided in the header and the shuttle speed has its room from the
    start: neither widens the window (it grew past a 1024-px screen); the view switch sits
    beside the header, so the window is far narrower than that."""
    import shutil

    narrow = window.minimumSizeHint().width()
    assert narrow <= SMALL_SCREEN_W
    long_name = tmp_path / ("Family holiday 2024 - day 3 - balloon festival at the lake, drone "
                            "shot, final colour grade v2.mp4")
    shutil.copy(clip, long_name)
    open_and_wait(qtbot, window, long_name)
    assert window.minimumSizeHint().width() <= narrow + 20
    assert long_name.name in window.info.toolTip()
    # Elided in its name only: the size, frames, rate and duration stay in view.
    details = window.info.text().partition(" — ")[2]
    for width in (300, 420):
        shown = window.info.shown_text(width)
        assert shown.endswith(" — " + details) and "…" in shown
        assert window.info.fontMetrics().horizontalAdvance(shown) <= width
    # Narrower than the details: a few letters of the name, then the details, cut at the end.
    shown = window.info.shown_text(200)
    assert " — " + details[:7] in shown and shown.endswith("…") and not shown.startswith(" — ")
    assert window.info.fontMetrics().horizontalAdvance(shown) <= 200
    window.playback.toggle_play()
    window.playback.forward()
    window.playback.forward()
    qtbot.wait(50)
    assert window.transport.speed.text() and window.minimumSizeHint().width() <= narrow + 20
    window.playback.stop()


def _settled_hint(window, qtbot):
    """The window's minimum size once its layout has settled: on a loaded machine 20 ms
    after a page or view change could read it a pixel short (602 against 603, once in a
    full run from a clean clone)."""
    last = None
    for _ in range(10):
        qtbot.wait(20)
        hint = window.minimumSizeHint()
        if hint == last:
            break
        last = hint
    return hint


def test_the_window_fits_a_small_screen_on_every_page(window, qtbot):
    """In the editor's own style, the window's minimum size fits a 720-px-wide screen and a
    768-px laptop on every task page, paused and playing, one view or side by side; at that
    size no button is narrower than its text, the readout's whole text is in its tooltip,
    and the play button is as wide playing as paused (the row does not jump)."""
    from PySide6.QtWidgets import QAbstractButton, QApplication

    from app.state.request_builder import TASKS
    from app.widgets.style import style_sheet

    app = QApplication.instance()
    before = app.styleSheet()
    app.setStyleSheet(style_sheet(app.font().pointSizeF()))
    play = window.transport.buttons["play"]
    try:
        for task in TASKS:
            window.panel.set_task(task)
            for mode in ("source", "side"):
                window.view.set_view_mode(mode)
                widths = set()
                for playing in (False, True):
                    if playing:
                        window.playback.toggle_play()
                    hint = _settled_hint(window, qtbot)
                    assert hint.width() <= SMALL_SCREEN_W, (task, mode, playing, hint)
                    assert hint.height() <= SMALL_SCREEN_H, (task, mode, playing, hint)
                    widths.add((play.sizeHint().width(), hint.width()))
                    if playing:
                        window.playback.stop()
                assert len(widths) == 1, (task, mode, widths)  # play: the same, and the window
            window.resize(window.minimumSizeHint())
            qtbot.waitUntil(lambda: window.size() == window.minimumSizeHint(), timeout=2000)
            qtbot.wait(20)
            squeezed = [(b.text(), b.width(), b.sizeHint().width())
                        for b in window.findChildren(QAbstractButton)
                        if b.isVisible() and b.width() < b.sizeHint().width()]
            assert not squeezed, (task, squeezed)
        assert window.transport.position.toolTip().startswith(f"Frame 1 / {CLIP_T}, 0.00 s")
    finally:
        window.playback.stop()
        app.setStyleSheet(before)


def test_a_large_desktop_font_is_kept():
    from app.widgets.style import style_sheet

    assert "QWidget { font-size: 16pt; }" in style_sheet(16.0)
    assert "QWidget { font-size: 10pt; }" in style_sheet(9.0)


def test_the_playhead_never_covers_the_in_out_tabs(window, qtbot):
    """At the window's smallest width, with the playhead on the first or the last frame
    (where it runs through the IN or the OUT tab), the tabs read the same as with no
    playhead: they are drawn over it."""
    tl = window.timeline
    window.resize(window.minimumSizeHint())
    qtbot.waitUntil(lambda: window.size() == window.minimumSizeHint(), timeout=2000)
    window.session.in_out.set_range(0, CLIP_T - 1)
    for line, frame in ((tl._in_line, 0), (tl._out_line, CLIP_T - 1)):
        window.playback.seek(frame)
        qtbot.wait(20)
        rect = tl.mapFromScene(line.label.sceneBoundingRect()).boundingRect()
        x = tl.mapFromScene(tl.playhead.scenePos()).x()
        assert rect.left() <= x <= rect.right(), (rect, x)  # the playhead crosses the tab here
        with_playhead = _pixels(tl.grab(rect))
        tl.playhead.setVisible(False)
        without = _pixels(tl.grab(rect))
        tl.playhead.setVisible(True)
        # The letters (the tab's colour) are all there; the tab's dark fill lets the
        # playhead show faintly through, at the letters' antialiased edges too.
        letters = np.abs(without - np.array(QColor(IN_OUT_COLOR).getRgb()[:3])).sum(-1) < 120
        assert letters.sum() > 10, line.label.format
        assert np.abs(with_playhead[letters] - without[letters]).max() <= 16, line.label.format


def _pixels(pixmap) -> np.ndarray:
    """(H, W, 3) int RGB of a grabbed widget area."""
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :3 * image.width()].reshape(image.height(), image.width(), 3).astype(int)


def test_a_long_status_message_ends_with_an_ellipsis_in_a_narrow_window(window, qtbot):
    """At the window's smallest width a long message is cut with … (it was cut mid-word),
    the whole of it in the tooltip and in currentMessage(); a wide window shows it whole."""
    bar = window.statusBar()
    text = ("Result ready in 32 s (the noise reproduced the input; drawn again; the noise cut "
            "a band of the scene, sky into the ground; drawn again)")
    window.resize(window.minimumSizeHint())
    qtbot.waitUntil(lambda: window.size() == window.minimumSizeHint(), timeout=2000)
    window.messages.status(text)
    assert bar.currentMessage() == text and bar.toolTip() == text
    shown = bar.shown_message()
    assert shown.endswith("…") and text.startswith(shown[:-1])
    bar.grab()  # paints without error
    window.resize(2000, window.height())
    qtbot.waitUntil(lambda: bar.width() > 1900, timeout=2000)
    assert bar.shown_message() == text
    bar.clearMessage()
    assert bar.toolTip() == ""


def test_about_names_the_version_and_the_manual():
    from importlib.metadata import version

    from app.window.help_text import ABOUT

    assert version("vgpnn-editor") in ABOUT and "README.md" in ABOUT


def test_generate_waits_for_a_clip_greyed_with_its_reason(qtbot, tmp_path, clip):
    """A window with no clip (no sample, or the file asked for failed to open) left Generate
    and Browse seeds enabled, to answer with a "No clip" dialog (an audit): they are greyed
    until a clip is open, the panel's line and their tooltip saying what to do."""
    from tests.test_app_support import close_and_check_threads, make_window

    win = make_window(qtbot, tmp_path)
    try:
        assert win.session.clip is None
        assert not win.panel.generate.isEnabled() and not win.panel.browse.isEnabled()
        assert win.panel.status.text().startswith("Open a video first")
        assert "File ▸ Open" in win.panel.generate.toolTip()
        with qtbot.waitSignal(win.source_loaded, timeout=30_000):
            win.projects.open_path(clip)  # being read: said so, not "Open a video first"
            assert win.panel.status.text() == "Opening the clip…"
            assert not win.panel.generate.isEnabled()
        assert win.panel.generate.isEnabled() and win.panel.status.text() == "Ready"
    finally:
        close_and_check_threads(qtbot, win)


def test_a_quoted_home_path_opens(window, qtbot, tmp_path, monkeypatch, clip):
    """`python main.py "~/My Videos/clip.mp4"`: quoted for its space, the ~ reached the
    editor, which read the clip and then dropped it as "Unexpected error (OSError)"."""
    import shutil

    from tests.test_app_support import open_and_wait

    home = tmp_path / "home"
    (home / "My Videos").mkdir(parents=True)
    shutil.copy(clip, home / "My Videos" / "my clip.mp4")
    monkeypatch.setenv("HOME", str(home))
    open_and_wait(qtbot, window, "~/My Videos/my clip.mp4")
    assert window.session.clip.path == home / "My Videos" / "my clip.mp4"


def test_damaged_export_entries_in_the_settings_are_dropped(tmp_path):
    """A hand-edited `export/projects` entry ({"p": 5}, a time as text) made every later
    export from a saved project raise while remembering its choices."""
    import json

    from PySide6.QtCore import QSettings

    from app.state.settings import ExportPreset
    from app.window import preferences

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    project = tmp_path / "p.vgpnn"
    project.write_bytes(b"x")
    settings.setValue(preferences.PROJECT_EXPORTS_KEY, json.dumps(
        {"/a.vgpnn": 5, "/b.vgpnn": [{}, "yesterday"], "/c.vgpnn": [{}, 1.0]}))
    preset = ExportPreset("mp4", 18, str(tmp_path))
    preferences.remember_export(settings, preset, project)
    kept = json.loads(settings.value(preferences.PROJECT_EXPORTS_KEY))
    assert sorted(kept) == ["/c.vgpnn", str(project)]
    assert preferences.export_since(settings, project) == preset

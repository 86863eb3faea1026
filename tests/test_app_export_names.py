"""Export Result through the real dialog (only its exec answered): the names a user types
or keeps, where they go, and what is never written over."""

from __future__ import annotations

import shutil
from fractions import Fraction

import numpy as np
import pytest
from PySide6.QtWidgets import QDialog

from app.widgets.export_dialog import ExportDialog
from app.window import prompts
from engine.io import read_video, write_video
from tests.test_app_support import RUN_TIMEOUT_MS, open_and_wait


@pytest.fixture
def window(draft_window):
    return draft_window


def answer_dialog(monkeypatch, fill) -> None:
    """The export dialog as a user fills it: fill(dialog), then Export. Shown again (after
    a refusal or a "no" to replacing a file, as it was filled in), then Cancel."""
    def exec_(dialog):
        dialog.shown = getattr(dialog, "shown", 0) + 1
        if dialog.shown > 1:
            return QDialog.DialogCode.Rejected
        fill(dialog)
        return QDialog.DialogCode.Accepted
    monkeypatch.setattr(ExportDialog, "exec", exec_)


def generate(window, qtbot):
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    return window.view.result


def export(window, qtbot, monkeypatch, fill) -> list:
    answer_dialog(monkeypatch, fill)
    with qtbot.waitSignal(window.exporter.finished, timeout=60_000) as blocker:
        window.exports.export_result()
    qtbot.waitUntil(lambda: not window.exporter.busy, timeout=10_000)
    return blocker.args[0]


def test_png_frames_of_a_clip_with_a_dot_in_its_name(window, qtbot, tmp_path, clip, monkeypatch):
    dotted = tmp_path / "trip.2023 beach.mp4"
    shutil.copy(clip, dotted)
    open_and_wait(qtbot, window, dotted)
    result = generate(window, qtbot)
    written = export(window, qtbot, monkeypatch,
                     lambda d: d.format.setCurrentText("PNG frames (folder)"))
    folder = tmp_path / f"trip.2023 beach_seed{result.seed:04d}"
    assert [str(p) for p in written] == [str(folder)] and folder.is_dir()
    assert len(list(folder.glob("*.png"))) == len(result.frames)


def test_a_name_typed_without_a_folder_goes_to_the_folder_shown(window, qtbot, tmp_path,
                                                                  monkeypatch):
    generate(window, qtbot)
    elsewhere = tmp_path / "started_here"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # where the editor was started from: not the export folder
    shown = []
    export(window, qtbot, monkeypatch,
           lambda d: shown.append(d.folder()) or d.target.setText("final.mp4"))
    assert (shown[0] / "final.mp4").exists() and not (elsewhere / "final.mp4").exists()
    assert window.session.export.folder == str(shown[0].resolve())


def test_a_typed_mov_is_written_as_mov(window, qtbot, tmp_path, monkeypatch):
    result = generate(window, qtbot)
    (tmp_path / "take.mp4").write_bytes(b"an older, unrelated file")
    monkeypatch.setattr(prompts, "ask_replace", lambda *a: pytest.fail("nothing to replace"))
    export(window, qtbot, monkeypatch, lambda d: d.target.setText(str(tmp_path / "take.mov")))
    assert read_video(tmp_path / "take.mov").frames.shape == result.frames.shape
    assert (tmp_path / "take.mp4").read_bytes() == b"an older, unrelated file"


def test_a_second_export_is_refused_before_its_dialog(window, qtbot, tmp_path, monkeypatch):
    from app.workers.exporter import ExportItem

    result = generate(window, qtbot)
    item = ExportItem(result.seed, result.request, None, window.runs.current_selection())
    window.exports.start_export([item] * 10, [tmp_path / f"f{i}.gif" for i in range(10)], crf=18)
    assert window.exporter.busy
    before = window.session.export
    answer_dialog(monkeypatch, lambda d: pytest.fail("the dialog must not open"))
    with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
        window.exports.export_result()
    assert "already running" in blocker.args[0] and window.session.export == before
    window.exporter.cancel()
    qtbot.waitUntil(lambda: not window.exporter.busy, timeout=30_000)


def test_clip_a_is_never_written_over(window, qtbot, tmp_path, monkeypatch):
    from tests.guided_synth import moving_square

    clip_a = tmp_path / "A.mp4"
    write_video(moving_square(t=6, h=32, w=40, side=12, step=-3), clip_a, fps=Fraction(10),
                crf=10)
    window.panel.set_task("Analogy")
    window.guided.load_motion(clip_a)
    qtbot.waitUntil(lambda: window.session.motion is not None and not window.guided.loading,
                    timeout=RUN_TIMEOUT_MS)
    generate(window, qtbot)
    before = clip_a.read_bytes()
    monkeypatch.setattr(prompts, "ask_replace", lambda *a: True)
    answer_dialog(monkeypatch, lambda d: d.target.setText(str(clip_a)))
    with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
        window.exports.export_result()
    assert "cannot be the input" in blocker.args[0] and clip_a.read_bytes() == before
    assert not window.exporter.busy and np.array_equal(
        read_video(clip_a).frames.shape, (6, 32, 40, 3))


def test_the_next_export_can_start_as_soon_as_one_is_written(window, qtbot, tmp_path):
    """The runner is free when it says "finished": an export started from that signal is
    not refused as "already running"."""
    from app.workers.exporter import ExportItem

    result = generate(window, qtbot)
    item = ExportItem(result.seed, result.request, result.frames)
    started = []
    window.exporter.finished.connect(
        lambda paths, notes: started.append(
            window.exports.start_export([item], [tmp_path / "second.gif"], crf=18))
        if not started else None)
    with qtbot.waitSignal(window.exporter.finished, timeout=60_000):
        window.exports.start_export([item], [tmp_path / "first.gif"], crf=18)
    assert started == [True]
    qtbot.waitUntil(lambda: (tmp_path / "second.gif").exists() and not window.exporter.busy,
                    timeout=60_000)


def type_name(qtbot, dialog: ExportDialog, name: str) -> None:
    dialog.target.clear()
    qtbot.keyClicks(dialog.target, name)


def test_the_quality_slider_leaves_a_typed_name_as_it_is(qtbot, tmp_path):
    dialog = ExportDialog("clip", [3], tmp_path, single=True)
    qtbot.addWidget(dialog)
    type_name(qtbot, dialog, str(tmp_path / "movie2.mov"))
    dialog.crf.setValue(25)
    assert dialog.targets() == [tmp_path / "movie2.mov"] and dialog.kind == "mp4"
    # Choosing a format gives the name its suffix; MP4 keeps a .mov or .mkv.
    dialog.format.setCurrentText("GIF animation")
    assert dialog.targets() == [tmp_path / "movie2.gif"]
    type_name(qtbot, dialog, str(tmp_path / "movie3.mkv"))
    assert dialog.kind == "mp4" and dialog.targets() == [tmp_path / "movie3.mkv"]


@pytest.mark.parametrize(("typed", "kind"), [("clip.mp4", "mp4"), ("clip.mov", "mp4"),
                                             ("b.gif", "gif"), ("still.png", "png")])
def test_a_typed_suffix_picks_its_format_over_the_remembered_one(qtbot, tmp_path, typed, kind):
    remembered = "gif" if kind != "gif" else "png"
    dialog = ExportDialog("clip", [3], tmp_path, single=True, kind=remembered)
    qtbot.addWidget(dialog)
    type_name(qtbot, dialog, typed)
    assert dialog.kind == kind and dialog.crf.isEnabled() == (kind == "mp4")
    assert dialog.target.text() == typed  # the name stays as typed
    # A one-frame result: .png is its PNG image.
    still = ExportDialog("clip", [3], tmp_path, single=True, still=True)
    qtbot.addWidget(still)
    type_name(qtbot, still, "frame.png")
    assert still.kind == "still"


def test_the_replace_question_speaks_of_one_file_as_one():
    """It asked "Replace existing files?" for one file, and put "and N more" inside the
    quotes with the names."""
    from pathlib import Path

    from app.window.prompts import replace_words

    title, text, _ = replace_words([Path("/tmp/out/a.mp4")])
    assert title == "Replace the existing file?"
    assert text == "“a.mp4” already exists in /tmp/out. Replace it?"
    many = [Path(f"/tmp/out/s{i}.mp4") for i in range(5)]
    title, text, _ = replace_words(many)
    assert title == "Replace existing files?"
    assert text.startswith("“s0.mp4”, “s1.mp4”, “s2.mp4” and 2 more already exist in /tmp/out")


def test_the_dialog_offers_a_name_not_taken_in_the_folder(qtbot, tmp_path):
    """A retarget and a variation of one seed were offered one name, and the second export
    asked to replace the first: the dialog offers the first name free in the folder."""
    from app.widgets.export_dialog import ExportDialog

    (tmp_path / "clip_seed0003.mp4").write_bytes(b"the variation")
    (tmp_path / "clip_2_seed0003.mp4").write_bytes(b"a retarget")
    dialog = ExportDialog("clip", [3], tmp_path, single=True)
    qtbot.addWidget(dialog)
    assert dialog.targets() == [tmp_path / "clip_3_seed0003.mp4"]
    dialog.format.setCurrentText("GIF animation")  # the name offered stays
    assert dialog.targets() == [tmp_path / "clip_3_seed0003.gif"]


def test_a_refused_name_is_said_over_the_export_dialog_shown_again(window, qtbot, tmp_path,
                                                                   monkeypatch):
    """A refusal sends the user back to the dialog as filled in; its box opened on the main
    window, behind the dialog shown again, which kept the whole editor blocked (an audit):
    now the box opens over the dialog, once it is up."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    generate(window, qtbot)
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    seen = []

    def exec_(dialog):
        dialog.shown = getattr(dialog, "shown", 0) + 1
        if dialog.shown == 1:
            dialog.target.setText(str(blocker / "out.mp4"))
            return QDialog.DialogCode.Accepted
        QApplication.processEvents()  # the dialog's own loop, up again
        seen.extend((box.text(), box.parent()) for box in QApplication.topLevelWidgets()
                    if isinstance(box, QMessageBox) and box.isVisible())
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(ExportDialog, "exec", exec_)
    window.exports.export_result()
    assert len(seen) == 1 and "not a folder" in seen[0][0]
    assert isinstance(seen[0][1], ExportDialog)  # over the dialog, not the main window
    assert not blocker.with_suffix("").exists() and blocker.read_text() == "a file, not a folder"


def test_the_list_of_files_fits_the_favourites_dialog(qtbot, tmp_path):
    """Sized before its names were filled in, the dialog cut the list off (an audit)."""
    dialog = ExportDialog("air_balloons_13f_256x144", [3, 5, 9], tmp_path, single=False)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.names.height() >= dialog.names.sizeHint().height()
    assert "seed0009" in dialog.names.text()


def test_the_export_dialog_says_what_becomes_of_the_sound(qtbot, tmp_path):
    """Whether a video keeps the clip's sound was only in a tooltip and in a status line
    after the export (an audit): the dialog says it, for a video; a GIF or PNG has none."""
    from fractions import Fraction

    from app.state.media import Selection
    from app.window.export import FAVOURITES_SOUND, sound_line

    frames = np.zeros((10, 8, 8, 3), np.uint8)
    with_sound = Selection(frames, (0, 0, 9), Fraction(10), None, 0, has_audio=True)
    silent = Selection(frames, (0, 0, 9), Fraction(10), None, 0)
    assert sound_line(with_sound, 1.0) == "Sound: the clip's, kept."
    assert sound_line(with_sound, 2.0).startswith("Sound: left out: the result lasts 2.00 s")
    assert sound_line(silent, 1.0) == ""
    dialog = ExportDialog("clip", [3], tmp_path, single=True, sound=sound_line(with_sound, 2.0))
    qtbot.addWidget(dialog)
    assert dialog.sound.text().startswith("Sound: left out")
    dialog.format.setCurrentText("GIF animation")
    assert dialog.sound.text().startswith("No sound")
    favourites = ExportDialog("clip", [3, 4], tmp_path, single=False, sound=FAVOURITES_SOUND)
    qtbot.addWidget(favourites)
    assert favourites.sound.text() == FAVOURITES_SOUND
    quiet = ExportDialog("clip", [3], tmp_path, single=True)
    qtbot.addWidget(quiet)
    assert quiet.sound.isHidden()


def test_the_dialog_says_the_sound_is_left_out_of_a_source_gone_or_replaced(tmp_path):
    """The dialog said "the clip's, kept" of a file deleted or recorded over since it was
    opened, and the export was then written silent (the writer's check, which it now uses)."""
    from app.state.media import Selection, _identity
    from app.window.export import sound_line

    source = tmp_path / "src.mp4"
    source.write_bytes(b"the recording")
    frames = np.zeros((10, 8, 8, 3), np.uint8)
    selection = Selection(frames, (0, 0, 9), Fraction(10), source, 0, has_audio=True,
                          identity=_identity(source))
    assert sound_line(selection, 1.0) == "Sound: the clip's, kept."
    source.write_bytes(b"another, longer recording")
    assert sound_line(selection, 1.0) == ("Sound: left out: src.mp4 has changed on disk since "
                                          "it was opened.")
    source.unlink()
    assert sound_line(selection, 1.0) == "Sound: left out: src.mp4 is no longer on disk."


def test_a_clip_name_too_long_to_export_under_still_opens_the_dialog(qtbot, tmp_path):
    """A clip named in 82 CJK characters (250 bytes): the name offered, with _seed0003.mp4,
    is over the system's 255 bytes, and looking for it raised: Export Result did nothing."""
    stem = "日" * 82
    dialog = ExportDialog(stem, [3], tmp_path, single=True)
    qtbot.addWidget(dialog)
    assert dialog.targets() == [tmp_path / f"{stem}_seed0003.mp4"]


def test_a_name_with_another_formats_suffix_chosen_with_browse_picks_that_format(
        qtbot, tmp_path, monkeypatch):
    """holiday.gif typed in Browse…'s save dialog became holiday.mp4 (typed in the field it
    picks GIF)."""
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "holiday.gif"), "")))
    dialog = ExportDialog("clip", [3], tmp_path, single=True)
    qtbot.addWidget(dialog)
    assert dialog.kind == "mp4"
    dialog._browse()
    assert dialog.kind == "gif" and dialog.targets() == [tmp_path / "holiday.gif"]

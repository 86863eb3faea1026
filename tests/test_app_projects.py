"""Projects in the editor: save and open the same state exactly, the window title, the
unsaved-changes question, a moved or changed source, bad project files, and remaking a
favourite in one click."""

from __future__ import annotations

import os
import shutil
import stat
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMessageBox

from app.state.settings import ExportPreset
from app.window import prompts
from engine.io import write_video
from tests.test_app_support import (
    RUN_TIMEOUT_MS,
    close_and_check_threads,
    drag_on_view,
    make_window,
    moving_texture,
    open_and_wait,
)


@pytest.fixture
def window(draft_window):
    return draft_window


def boxes(window) -> list[QMessageBox]:
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def paint(window, points) -> None:
    pane = window.viewer.source
    drag_on_view(pane.view, pane.box, points)


def do_work(window, qtbot) -> None:
    """What a user does in an hour: range, settings, a mask with a hint, favourites."""
    window.session.in_out.set_range(1, 6)
    window.panel.seed.setValue(42)
    window.panel.set_task("Inpaint")
    window.panel.current_page().noise.set_value(2.5)
    window.inpaint.panel.scope.setCurrentIndex(window.inpaint.panel.scope.findData("range"))
    window.inpaint.overlay.set_radius(4)
    paint(window, [(10, 10), (30, 20)])
    window.inpaint.panel.hint_kind.setChecked(True)
    window.inpaint.panel.hint_color.set_color(QColor(255, 255, 255))
    paint(window, [(40, 12)])
    window.panel.set_task("Variations")
    window.panel.browse_count.setValue(3)
    browser = window.browsers.browse_seeds()
    browser.tiles[43].star.click()
    browser.tiles[44].star.click()
    browser.cancel()
    window.panel.seed.setValue(50)  # another grid: no stars there, the session keeps both
    window.browsers.browse_seeds()
    assert browser.favourite_seeds() == [] and "Export 2 favourites" in browser.export.text()
    browser.close()
    window.panel.seed.setValue(42)
    window.session.set_export(ExportPreset("gif", 22, "/somewhere"))
    window.sync.commit()


def answer_save_as(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(prompts, "choose_project_to_save", lambda parent, suggested, caption="": path)


def open_project(qtbot, window, path: Path) -> None:
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.projects.open_project(path)
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=5000)


def test_save_and_open_give_the_same_state(window, qtbot, tmp_path, monkeypatch):
    # The fixture chose Draft quality: already a change.
    assert window.windowTitle() == f"Untitled* — {window.session.clip.name} — VGPNN Editor"
    do_work(window, qtbot)
    s = window.session
    assert s.dirty and window.windowTitle().startswith("Untitled*")
    assert [f.seed for f in s.favourites] == [43, 44]
    target = tmp_path / "walk.vgpnn"
    answer_save_as(monkeypatch, target)
    window.actions_by_name["save"].trigger()
    assert window.projects.wait()  # written on a worker
    assert target.exists() and not s.dirty
    assert window.windowTitle().startswith("walk —")

    other = make_window(qtbot, tmp_path / "other")
    try:
        open_project(qtbot, other, target)
        o = other.session
        assert not o.dirty and other.windowTitle().startswith("walk —")
        np.testing.assert_array_equal(o.mask.mask, s.mask.mask)
        np.testing.assert_array_equal(o.mask.hints, s.mask.hints)
        assert o.mask.hints[..., 3].any() and o.mask.masked_frames()[1:7].all()
        assert (o.in_out.in_point, o.in_out.out_point) == (1, 6)
        assert o.settings == s.settings and other.panel.settings() == s.settings
        assert other.panel.seed.value() == 42 and other.panel.current_task() == "generate"
        assert other.panel.page_for("inpaint").noise_value() == 2.5
        assert o.favourites == s.favourites and o.export == s.export
        assert not other.timeline.marks().any()  # Variations: the mask is not marked
        other.panel.set_task("Inpaint")
        assert other.timeline.marks().tolist() == s.mask.masked_frames().tolist()
        assert other.recent_projects.paths()[0] == str(target.resolve())
    finally:
        close_and_check_threads(qtbot, other)


def test_unsaved_changes_are_asked_about(window, qtbot, tmp_path, monkeypatch):
    window.projects.ask_to_save = True
    asked = []

    def answer(choice):
        def ask(parent, name, before):
            asked.append(before)
            return choice
        return ask

    monkeypatch.setattr(prompts, "ask_save_changes", answer(prompts.CANCEL))
    window.session.mark_saved()
    window.close()  # nothing changed: no question
    assert asked == []
    window.show()
    window.session.in_out.set_out(4)
    assert not window.close() and window.isVisible()
    window.actions_by_name["new_project"].trigger()
    assert asked == ["closing", "starting a new project"] and window.session.dirty

    target = tmp_path / "kept.vgpnn"
    answer_save_as(monkeypatch, target)
    monkeypatch.setattr(prompts, "ask_save_changes", answer(prompts.SAVE))
    window.actions_by_name["new_project"].trigger()  # saves, then starts over
    assert target.exists() and not window.session.dirty
    assert window.session.in_out.out_point == window.session.clip.length - 1
    assert window.windowTitle().startswith("Untitled —")

    window.session.in_out.set_out(2)
    monkeypatch.setattr(prompts, "ask_save_changes", answer(prompts.DISCARD))
    assert window.close()


def test_edits_made_while_a_clip_is_read_are_asked_about(window, qtbot, tmp_path, clip,
                                                        monkeypatch):
    """The question before opening a clip is about the changes made until then: a stroke
    or a setting changed while the new clip is read is asked about again when it arrives,
    and Cancel keeps the project open with it (the new clip is not opened)."""
    other = tmp_path / "other.mp4"
    shutil.copy(clip, other)
    window.projects.ask_to_save = True
    window.session.mark_saved()  # nothing to ask about before the read
    asked = []

    def answer(choice):
        def ask(parent, name, before, why=""):
            asked.append((before, why))
            return choice
        return ask

    monkeypatch.setattr(prompts, "ask_save_changes", answer(prompts.CANCEL))
    window.projects.open_path(other)
    assert window.clips.loading and asked == []
    window.session.in_out.set_out(3)  # edited while the clip is read (it arrives later)
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=30_000)
    assert [b for b, _ in asked] == ["opening “other.mp4”"] and "while" in asked[0][1]
    s = window.session
    assert s.clip.name == clip.name and s.dirty and s.in_out.out_point == 3  # kept
    assert "other.mp4 was not opened" in window.statusBar().currentMessage()
    assert not any(p.endswith("other.mp4") for p in window.recent.paths())  # not opened

    # Asked about before the read (Don't Save), then edited again: asked again.
    asked.clear()
    monkeypatch.setattr(prompts, "ask_save_changes", answer(prompts.DISCARD))
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.projects.open_path(other)
        window.session.in_out.set_out(2)
    assert [b for b, _ in asked] == ["opening another clip", "opening “other.mp4”"]
    assert s.clip.name == "other.mp4" and not s.dirty

    # Nothing changed during the read: no second question.
    asked.clear()
    window.session.in_out.set_out(4)
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.projects.open_path(clip)
    assert [b for b, _ in asked] == ["opening another clip"] and s.clip.name == clip.name
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=5000)

    # A project read the same way: kept on Cancel, with the change made meanwhile.
    project = tmp_path / "other.vgpnn"
    answer_save_as(monkeypatch, project)
    assert window.projects.save_as() and window.projects.wait()
    asked.clear()
    monkeypatch.setattr(prompts, "ask_save_changes", answer(prompts.CANCEL))
    window.projects.open_project(project)
    window.session.in_out.set_out(1)
    qtbot.waitUntil(lambda: not window.projects.reading and not window.clips.loading,
                    timeout=30_000)
    assert [b for b, _ in asked] == ["opening “other.vgpnn”"] and s.in_out.out_point == 1


def test_moved_source_is_asked_for(window, qtbot, tmp_path, clip, monkeypatch):
    src = tmp_path / "a" / "shot.mp4"
    src.parent.mkdir()
    shutil.copy(clip, src)
    open_and_wait(qtbot, window, src)
    window.inpaint.overlay.set_radius(4)
    window.panel.set_task("Inpaint")
    paint(window, [(20, 12)])
    project = tmp_path / "p" / "shot.vgpnn"
    project.parent.mkdir()
    answer_save_as(monkeypatch, project)
    assert window.projects.save() and window.projects.wait()
    mask = window.session.mask.mask.copy()
    moved = tmp_path / "b" / "renamed.mp4"
    moved.parent.mkdir()
    src.rename(moved)

    asked = []
    monkeypatch.setattr(prompts, "find_moved_source",
                        lambda parent, source, start: asked.append(source.name) or moved)
    open_project(qtbot, window, project)
    assert asked == ["shot.mp4"]
    s = window.session
    assert s.clip.path == moved and s.source.path == str(moved.resolve())
    np.testing.assert_array_equal(s.mask.mask, mask)
    assert s.dirty  # the new place is not saved yet
    assert any("renamed.mp4" in b.text() for b in boxes(window))

    # Cancelled: nothing changes.
    moved.rename(tmp_path / "b" / "gone.mp4")
    monkeypatch.setattr(prompts, "find_moved_source", lambda parent, source, start: None)
    window.session.mark_saved()
    window.projects.open_project(project)
    qtbot.waitUntil(lambda: not window.projects.reading, timeout=5000)  # read on a worker
    assert not window.clips.loading and window.session.clip.path == moved

    # Moved together with the project: found beside it, no question.
    shutil.copy(tmp_path / "b" / "gone.mp4", project.parent / "shot.mp4")
    monkeypatch.setattr(prompts, "find_moved_source", lambda *a: pytest.fail("asked"))
    open_project(qtbot, window, project)
    assert window.session.clip.path == project.parent / "shot.mp4"


def test_changed_source_says_so_and_opens(window, qtbot, tmp_path, monkeypatch):
    src = tmp_path / "shot.mp4"
    write_video(moving_texture(), src, fps=Fraction(10), crf=10)
    open_and_wait(qtbot, window, src)
    window.panel.seed.setValue(7)
    project = tmp_path / "shot.vgpnn"
    answer_save_as(monkeypatch, project)
    assert window.projects.save_as() and window.projects.wait()
    write_video(255 - moving_texture(), src, fps=Fraction(10), crf=10)  # re-exported
    open_project(qtbot, window, project)
    texts = [b.text() for b in boxes(window)]
    assert any("has changed since the project was saved" in t for t in texts)
    assert window.session.settings.seed == 7 and window.panel.seed.value() == 7


def test_a_source_of_another_size_says_the_mask_was_left(window, qtbot, tmp_path, monkeypatch):
    src = tmp_path / "shot.mp4"
    write_video(moving_texture(), src, fps=Fraction(10), crf=10)
    open_and_wait(qtbot, window, src)
    window.panel.set_task("Inpaint")
    window.inpaint.overlay.set_radius(4)
    paint(window, [(10, 10), (20, 12)])
    project = tmp_path / "shot.vgpnn"
    answer_save_as(monkeypatch, project)
    assert window.projects.save_as() and window.projects.wait()
    write_video(moving_texture(w=40), src, fps=Fraction(10), crf=10)  # another size
    open_project(qtbot, window, project)
    [text] = [b.text() for b in boxes(window) if "has changed" in b.text()]
    assert "The settings and favourites were restored" in text
    assert "so it was not loaded" in text and "The mask, settings" not in text
    assert window.session.mask.is_empty()


@pytest.mark.parametrize("content", [b"", b"garbage" * 100, b"PK\x03\x04broken"])
def test_bad_project_file_gives_a_dialog(window, qtbot, tmp_path, content):
    bad = tmp_path / "bad.vgpnn"
    bad.write_bytes(content)
    before = window.session.clip
    with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
        window.projects.open_path(bad)  # File ▸ Open or a drop of a .vgpnn file
    assert "bad.vgpnn" in blocker.args[0] and "Traceback" not in blocker.args[0]
    assert boxes(window) and window.session.clip is before


def test_save_error_gives_a_dialog(window, qtbot, tmp_path, monkeypatch):
    window.session.in_out.set_out(3)
    answer_save_as(monkeypatch, tmp_path / "missing" / "folder" / "p.vgpnn")
    with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
        assert window.projects.save() and not window.projects.wait()
    assert "p.vgpnn" in blocker.args[0] and window.session.dirty


def test_favourite_is_remade_in_one_click(window, qtbot):
    window.panel.browse_count.setValue(2)
    browser = window.browsers.browse_seeds()
    browser.tiles[1].star.click()
    browser.cancel()
    window.panel.seed.setValue(30)
    window.session.in_out.set_range(2, 6)
    menu = window.submenus["favourites"]
    menu.aboutToShow.emit()
    [action] = [a for a in menu.actions() if a.text().startswith("★")]
    assert "Seed 1" in action.text()
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        action.trigger()
    assert blocker.args[0].seed == 1 and window.panel.seed.value() == 1
    assert (window.session.in_out.in_point, window.session.in_out.out_point) == (0, 7)


def test_a_drawn_sketch_is_saved_in_the_project(window, qtbot, tmp_path, monkeypatch):
    """The sketch is work like the mask: drawing it is an unsaved change, a project keeps
    it (ink and tones, key frames), and opening the project draws it again."""
    window.panel.set_task("Sketch")
    assert window.sketch.active
    window.sync.commit()
    window.session.mark_saved()
    sketch = window.sketch
    sketch.panel.scope.setCurrentIndex(sketch.panel.scope.findData("frame"))
    sketch.panel.size_spin.setValue(6)
    window.playback.seek(2)
    paint(window, [(10, 10), (40, 25)])
    s = window.session
    assert s.dirty and s.sketch.masked_frames().tolist()[2]
    target = tmp_path / "drawn.vgpnn"
    answer_save_as(monkeypatch, target)
    window.projects.ask_to_save = True
    asked = []
    monkeypatch.setattr(prompts, "ask_save_changes",
                        lambda parent, name, before: asked.append(before) or prompts.SAVE)
    assert window.projects.confirm("opening another clip")  # saved, then goes on
    assert asked == ["opening another clip"] and target.exists() and not s.dirty
    window.projects.ask_to_save = False

    other = make_window(qtbot, tmp_path / "other")
    try:
        open_project(qtbot, other, target)
        o = other.session
        assert not o.dirty and other.panel.current_task() == "sketch"
        np.testing.assert_array_equal(o.sketch.mask, s.sketch.mask)
        np.testing.assert_array_equal(o.sketch.hints, s.sketch.hints)
        assert not o.mask.masked_frames().any()  # the inpainting mask stays empty
        assert other.timeline.marks().tolist() == s.sketch.masked_frames().tolist()
    finally:
        close_and_check_threads(qtbot, other)


def test_open_project_from_the_menu_asks_for_a_file(window, qtbot, tmp_path, monkeypatch):
    """File ▸ Open Project… (Ctrl+Shift+O): the action's `checked` must not reach
    open_project as a path (it did: a TypeError, no dialog)."""
    target = tmp_path / "menu.vgpnn"
    answer_save_as(monkeypatch, target)
    assert window.projects.save_as() and window.projects.wait()
    asked = []
    monkeypatch.setattr(prompts, "choose_project_to_open",
                        lambda parent, folder: asked.append(folder) or None)
    window.actions_by_name["open_project"].trigger()  # cancelled: nothing happens
    assert len(asked) == 1
    monkeypatch.setattr(prompts, "choose_project_to_open", lambda parent, folder: target)
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.actions_by_name["open_project"].trigger()
    assert window.session.project_path == target.resolve()
    # The status bar names the project, not only its clip.
    said = window.statusBar().currentMessage()
    assert said.startswith(f"Opened project menu.vgpnn on {window.session.clip.name}"), said


def test_a_recent_project_that_is_gone_leaves_the_list(window, qtbot, tmp_path):
    gone = tmp_path / "gone.vgpnn"
    window.recent_projects.add(gone)
    menu = window.submenus["recent_projects"]
    menu.aboutToShow.emit()
    action = next(a for a in menu.actions() if a.text() == "gone.vgpnn")
    with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
        action.trigger()
    assert "no longer at" in blocker.args[0]
    assert str(gone) not in window.recent_projects.paths()


def test_save_over_a_read_only_project_asks_for_another_name(window, qtbot, tmp_path,
                                                              monkeypatch):
    """A project its owner made read-only is not replaced by Save: it says so and asks
    for another name; a saved project keeps its permissions (a private one stays so)."""
    private = tmp_path / "private.vgpnn"
    answer_save_as(monkeypatch, private)
    assert window.projects.save_as() and window.projects.wait()
    os.chmod(private, 0o600)
    window.session.in_out.set_out(3)
    assert window.projects.save() and window.projects.wait()
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    os.chmod(private, 0o444)
    before = private.read_bytes()
    window.session.in_out.set_out(4)
    offered = []

    def choose(parent, suggested, caption):  # the user takes the name Save As offers
        offered.append((Path(suggested), caption))
        return Path(suggested)

    monkeypatch.setattr(prompts, "choose_project_to_save", choose)
    errors, said = [], []
    window.error_reported.connect(errors.append)
    window.statusBar().messageChanged.connect(said.append)
    assert window.projects.save() and window.projects.wait()
    # Said in the file dialog's title and the status bar: no second window beside it.
    assert not errors and any("read-only" in m for m in said)
    assert offered[0][1] == "private.vgpnn is read-only: save your changes as"
    offered = [o for o, _ in offered]
    other = tmp_path / "private copy.vgpnn"
    assert offered == [other] and private.read_bytes() == before and other.exists()
    assert window.session.project_path == other
    answer_save_as(monkeypatch, private)  # Save As onto the read-only file: refused
    with qtbot.waitSignal(window.error_reported, timeout=5000):
        assert not window.projects.save_as()
    assert private.read_bytes() == before


def test_a_new_project_is_not_offered_in_the_programs_own_folder(window, qtbot, monkeypatch):
    """On the bundled sample Save As offered resources/ (the program's own folder), beside
    the sample: it starts in the last project's folder, or home, instead."""
    from engine.io import SAMPLE_CLIP

    offered = []
    monkeypatch.setattr(prompts, "choose_project_to_save",
                        lambda parent, suggested, caption="": offered.append(Path(suggested)))
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.projects.open_path(SAMPLE_CLIP)
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=5000)
    window.projects.save_as()
    assert offered and offered[0].parent != SAMPLE_CLIP.parent
    assert offered[0].parent in (Path.home(), *[Path(p).parent for p in window.recent_projects.paths()])

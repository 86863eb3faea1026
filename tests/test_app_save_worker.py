"""Save and Open write and read the project file on a worker: compressing a whole-clip
Full-HD mask took about a second of the GUI thread, decompressing it 0.6 s. The title loses
its `*` only once the file is written (and only for what it holds), a failed save says why,
closing and the "save before closing?" question wait for the file (a dialog shows the wait),
and a stroke during the layers' copy has them copied again rather than written torn.

The worker's calls are recorded from the worker itself (a thread-safe list), never through
a Qt slot replaced by a plain function."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressDialog

from app.state.project_file import LaterLayers, PaintLayers, load_project
from app.window import projects as projects_module
from app.window import prompts

GATE_S = 10  # a gated worker gives up waiting after this (the old code saved on the GUI thread)


@pytest.fixture
def window(draft_window):
    return draft_window


def answer_save_as(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(prompts, "choose_project_to_save",
                        lambda parent, suggested, caption="": path)


def paint(window) -> None:
    """A stroke on every frame of the mask, straight into the model."""
    m = window.session.mask
    m.begin_stroke(0, "remove", 6, 1.0, scope="all")
    m.stroke_to(10, 10)
    m.stroke_to(30, 20)
    m.end_stroke()


class Worker:
    """save_project / load_project as the controller calls them, recorded on the calling
    thread, each held at `gate` until the test opens it (gate None: not held)."""

    def __init__(self, monkeypatch, name: str, gated: bool = False, fail: bool = False):
        self.real = getattr(projects_module, name)
        self.calls: list[tuple[int, object]] = []  # (thread id, first argument)
        self.done: list[str] = []
        self.gate = threading.Event() if gated else None
        self.fail = fail
        monkeypatch.setattr(projects_module, name, self)

    def __call__(self, *args):
        self.calls.append((threading.get_ident(), args[0]))
        if self.gate is not None:
            self.gate.wait(GATE_S)
        if self.fail:
            raise OSError(28, "No space left on device")
        try:
            return self.real(*args)
        finally:
            self.done.append("written")

    def open_later(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self.gate.set)
        timer.start()
        return timer


def test_save_writes_the_file_on_a_worker(window, tmp_path, monkeypatch):
    paint(window)
    saver = Worker(monkeypatch, "save_project")
    target = tmp_path / "p.vgpnn"
    answer_save_as(monkeypatch, target)
    assert window.projects.save_as() and window.projects.wait()
    [(thread, data)] = saver.calls
    assert thread != threading.get_ident()
    # the layers are copied there, not here (after an Invert the whole clip's mask)
    assert isinstance(data.inpaint, LaterLayers)
    assert target.exists() and not window.session.dirty
    assert (load_project(target).inpaint.mask == window.session.mask.mask).all()


def test_the_star_goes_only_once_the_file_is_written(window, tmp_path, monkeypatch):
    paint(window)
    saver = Worker(monkeypatch, "save_project", gated=True)
    target = tmp_path / "p.vgpnn"
    answer_save_as(monkeypatch, target)
    projects = window.projects
    assert projects.save_as()
    # the save goes on: the editor is usable, says so, and the work is still unsaved
    assert projects.saving and window.session.dirty and "*" in window.windowTitle()
    assert not projects._busy.isHidden()
    assert window.statusBar().currentMessage() == "Saving p.vgpnn…"
    saver.gate.set()
    assert projects.wait()
    assert not projects.saving and not window.session.dirty
    assert window.windowTitle().startswith("p —") and projects._busy.isHidden()
    assert window.statusBar().currentMessage() == "Saved p.vgpnn"


def test_an_edit_made_while_saving_stays_unsaved(window, tmp_path, monkeypatch):
    """The file holds the session as it was when Save was chosen; a change made while it
    is written is not in it, and the title keeps its star for it."""
    s = window.session
    saver = Worker(monkeypatch, "save_project", gated=True)
    target = tmp_path / "p.vgpnn"
    answer_save_as(monkeypatch, target)
    s.in_out.set_out(5)
    assert window.projects.save_as()
    s.in_out.set_out(3)  # while the file is written
    saver.gate.set()
    assert window.projects.wait()
    assert load_project(target).in_out[1] == 5
    assert s.project_path == target and s.dirty and window.windowTitle().startswith("p* —")


def test_a_failed_save_says_why_and_keeps_the_star(window, qtbot, tmp_path, monkeypatch):
    window.session.in_out.set_out(3)
    Worker(monkeypatch, "save_project", fail=True)
    answer_save_as(monkeypatch, tmp_path / "p.vgpnn")
    with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
        assert window.projects.save_as() and not window.projects.wait()
    assert "p.vgpnn: No space left on device" in blocker.args[0]
    assert window.session.dirty and window.session.project_path is None
    assert "*" in window.windowTitle() and window.projects._busy.isHidden()
    assert not (tmp_path / "p.vgpnn").exists()


def test_closing_waits_for_the_save_in_flight(window, tmp_path, monkeypatch):
    """Closing while the file is written: the window closes once it is complete (the
    threads' stop at exit must not cut it short)."""
    paint(window)
    saver = Worker(monkeypatch, "save_project", gated=True)
    target = tmp_path / "p.vgpnn"
    answer_save_as(monkeypatch, target)
    assert window.projects.save_as() and window.projects.saving
    saver.open_later(0.5)
    assert window.close()
    assert saver.done == ["written"] and not window.isVisible()
    assert (load_project(target).inpaint.mask == window.session.mask.mask).all()


def test_a_save_failing_while_closing_is_asked_about(window, qtbot, tmp_path, monkeypatch):
    """The question comes after the save in flight has failed (not before it ended, when
    the changes looked about to be saved), and Cancel keeps the window open."""
    window.session.in_out.set_out(3)
    saver = Worker(monkeypatch, "save_project", gated=True, fail=True)
    answer_save_as(monkeypatch, tmp_path / "p.vgpnn")
    window.projects.ask_to_save = True
    asked = []
    monkeypatch.setattr(prompts, "ask_save_changes",
                        lambda parent, name, before: asked.append(saver.calls[:]) or
                        prompts.CANCEL)
    assert window.projects.save_as()
    saver.open_later(0.3)
    assert not window.close()
    assert len(asked) == 1 and asked[0] and window.isVisible() and window.session.dirty
    window.projects.ask_to_save = False


def test_the_question_before_closing_waits_for_the_file_with_a_dialog(window, tmp_path,
                                                                       monkeypatch):
    """Save chosen in the "save before closing?" question: it goes on only once the file is
    written, and a dialog says so while that takes a moment (the GUI does not freeze
    without a word)."""
    paint(window)
    saver = Worker(monkeypatch, "save_project", gated=True)
    target = tmp_path / "p.vgpnn"
    answer_save_as(monkeypatch, target)
    window.projects.ask_to_save = True
    monkeypatch.setattr(prompts, "ask_save_changes",
                        lambda parent, name, before: prompts.SAVE)
    shown = []
    QTimer.singleShot(projects_module.WAIT_DIALOG_MS + 500, lambda: shown.extend(
        d.labelText() for d in window.findChildren(QProgressDialog) if d.isVisible()))
    saver.open_later(1.5)
    assert window.projects.confirm("closing")
    assert shown == ["Saving p.vgpnn…"]
    assert saver.done == ["written"] and target.exists() and not window.session.dirty
    assert not [d for d in window.findChildren(QProgressDialog) if d.isVisible()]
    window.projects.ask_to_save = False


def test_painting_during_the_copy_has_the_layers_copied_again(window, tmp_path, monkeypatch):
    """A stroke while the worker copies the layers makes that copy stale (it is not
    written, rather than torn): the save takes them again on the GUI thread and writes."""
    paint(window)
    mask = window.session.mask
    saver = Worker(monkeypatch, "save_project")
    real = saver.real

    def stroke_during_copy(data, path):
        if len(saver.calls) == 1:
            mask._wrote()  # what a stroke's first piece does, there and then
        return real(data, path)

    saver.real = stroke_during_copy
    target = tmp_path / "p.vgpnn"
    answer_save_as(monkeypatch, target)
    assert window.projects.save_as() and window.projects.wait()
    assert [type(data.inpaint) for _, data in saver.calls] == [LaterLayers, PaintLayers]
    assert not window.session.dirty
    assert (load_project(target).inpaint.mask == mask.mask).all()


def test_a_project_is_read_on_a_worker(window, qtbot, tmp_path, monkeypatch):
    paint(window)
    target = tmp_path / "p.vgpnn"
    answer_save_as(monkeypatch, target)
    assert window.projects.save_as() and window.projects.wait()
    mask = window.session.mask.mask.copy()
    window.session.mask.clear()
    reader = Worker(monkeypatch, "load_project")
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.projects.open_project(target)
    [(thread, path)] = reader.calls
    assert thread != threading.get_ident() and Path(path) == target
    assert (window.session.mask.mask == mask).all() and not window.session.dirty


def test_a_clip_opened_while_a_project_is_read_wins(window, qtbot, tmp_path, clip,
                                                   monkeypatch):
    target = tmp_path / "p.vgpnn"
    answer_save_as(monkeypatch, target)
    assert window.projects.save_as() and window.projects.wait()
    reader = Worker(monkeypatch, "load_project", gated=True)
    window.projects.open_project(target)
    assert window.projects.reading and not window.projects._busy.isHidden()
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.projects.open_path(clip)  # chosen since: the project read is dropped
    reader.gate.set()
    qtbot.waitUntil(lambda: reader.done == ["written"], timeout=5000)
    qtbot.wait(200)  # its result would be taken by now
    assert window.session.project_path is None and not window.projects.reading
    assert not window.clips.loading and window.projects._busy.isHidden()


def test_a_damaged_project_read_on_a_worker_gives_a_dialog(window, qtbot, tmp_path):
    bad = tmp_path / "bad.vgpnn"
    bad.write_bytes(b"PK\x03\x04broken")
    with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
        window.projects.open_path(bad)
        assert window.projects.reading
    assert "bad.vgpnn" in blocker.args[0] and not window.projects.reading

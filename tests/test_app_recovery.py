"""Autosave and recovery: a recovery file after a stroke batch and on the timer, none after
a clean exit, and a session killed with SIGKILL offered back and restored exactly (its
mask, sketch, settings and favourites)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from app.state.project_file import load_project
from app.state.settings import Favourite, PanelSettings
from app.window import prompts
from tests.test_app_support import close_and_check_threads, drag_on_view, make_window

ROOT = Path(__file__).resolve().parents[1]


def paint(window, points) -> None:
    pane = window.viewer.source
    drag_on_view(pane.view, pane.box, points)


def test_autosave_after_strokes_and_on_the_timer(window, qtbot):
    store = window.autosave.store
    window.panel.set_task("Inpaint")
    window.inpaint.overlay.set_radius(4)
    paint(window, [(10, 10), (20, 12)])
    paint(window, [(30, 20)])  # the same batch: one write shortly after the last stroke
    qtbot.waitUntil(lambda: store.path.exists(), timeout=10_000)
    store.wait()
    data = load_project(store.path)
    np.testing.assert_array_equal(data.inpaint.mask, window.session.mask.mask)

    window.autosave._timer.setInterval(200)  # instead of a minute
    window.panel.seed.setValue(99)
    qtbot.waitUntil(lambda: window.autosave._written == window.session.revision
                    and load_project(store.path).settings.seed == 99, timeout=10_000)

    window.session.mark_saved()  # saved: the recovery file would only repeat it
    store.wait()  # deleted on the store's thread, after its write (the GUI thread waited)
    assert not store.path.exists()
    window.session.in_out.set_out(3)
    qtbot.waitUntil(lambda: store.path.exists(), timeout=10_000)
    window.close()  # a clean exit leaves nothing to recover
    assert not store.path.exists()


@pytest.mark.timeout(240)
def test_killed_editor_is_recovered_exactly(qtbot, tmp_path, clip, monkeypatch):
    data_dir = tmp_path / "data"
    out = tmp_path / "expected"
    env = {**os.environ, "VGPNN_DATA_DIR": str(data_dir), "VGPNN_AUTOSAVE_S": "0.5",
           "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.app_crash_child", str(clip),
         str(tmp_path / "child.ini"), str(out)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        line = ""
        while "READY" not in line:
            line = child.stdout.readline()
            if not line and child.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the child editor did not get ready: {child.stderr.read()}")
        os.kill(child.pid, signal.SIGKILL)  # no clean exit: the recovery file stays
    finally:
        child.kill()
        child.wait(30)
        child.stdout.close()
        child.stderr.close()
    expected = json.loads(Path(str(out) + ".json").read_text())
    layers = np.load(str(out) + ".npz")
    assert Path(expected["recovery"]).exists()

    window = make_window(qtbot, tmp_path / "next", data_folder=data_dir)  # the same user
    try:
        offered = []

        def ask(parent, item, others):
            offered.append(item.describe())
            return prompts.RECOVER

        monkeypatch.setattr(prompts, "ask_recover", ask)
        with qtbot.waitSignal(window.source_loaded, timeout=30_000):
            assert window.autosave.offer_recovery()
        qtbot.waitUntil(lambda: not window.clips.loading, timeout=5000)
        assert len(offered) == 1 and clip.name in offered[0] and "autosaved" in offered[0]
        s = window.session
        np.testing.assert_array_equal(s.mask.mask, layers["mask"])
        np.testing.assert_array_equal(s.mask.hints, layers["hints"])
        assert s.mask.hints[..., 3].any() and not s.mask.is_empty()
        np.testing.assert_array_equal(s.sketch.mask, layers["sketch"])
        assert s.sketch.masked_frames().any()
        assert s.settings == PanelSettings.from_dict(expected["settings"])
        assert window.panel.settings() == s.settings and window.panel.seed.value() == 123
        assert [s.in_out.in_point, s.in_out.out_point] == expected["in_out"] == [1, 5]
        assert s.favourites == [Favourite.from_dict(f) for f in expected["favourites"]]
        assert [f.seed for f in s.favourites] == [124, 125]
        assert s.dirty and window.windowTitle().startswith("Untitled*")
        assert not Path(expected["recovery"]).exists()  # taken: not offered again
        assert window.autosave.store.orphans() == []
    finally:
        close_and_check_threads(qtbot, window)


def orphaned(qtbot, tmp_path, clip):
    """An editor with unsaved work in its recovery file, whose lock is let go as if it had
    died; returns it and the file."""
    first = make_window(qtbot, tmp_path / "a", clip)
    first.session.in_out.set_out(2)
    first.autosave.write_now()
    first.autosave.store.wait()
    first.autosave.store._lock_file.close()
    first.autosave.store._lock_file = None
    return first, first.autosave.store.path


def test_recovery_can_wait_or_be_discarded(qtbot, tmp_path, clip, monkeypatch):
    first, path = orphaned(qtbot, tmp_path, clip)
    second = make_window(qtbot, tmp_path / "b", data_folder=path.parent.parent)
    try:
        monkeypatch.setattr(prompts, "ask_recover", lambda *a: prompts.LATER)
        assert not second.autosave.offer_recovery() and path.exists()  # kept for later
        monkeypatch.setattr(prompts, "ask_recover", lambda *a: prompts.DISCARD)
        assert not second.autosave.offer_recovery() and not path.exists()
    finally:
        close_and_check_threads(qtbot, second)
        close_and_check_threads(qtbot, first)


def test_failed_autosave_is_said_and_tried_again(window, qtbot, monkeypatch):
    import app.state.recovery as recovery

    def full_disk(data, path):
        raise OSError(28, "No space left on device")

    real = recovery.save_project
    monkeypatch.setattr(recovery, "save_project", full_disk)
    store = window.autosave.store
    window.session.in_out.set_out(3)
    window.autosave.write_now()
    store.wait()
    window.session.in_out.set_out(4)
    window.autosave.write_now()
    store.wait()
    assert "No space left" in window.statusBar().currentMessage()
    monkeypatch.setattr(recovery, "save_project", real)  # space again: the next tick writes,
    assert window.autosave.write_now()  # with no new edit
    store.wait()
    assert store.path.exists() and store.last_error == ""


def test_a_recovery_folder_that_cannot_be_made_is_said(qtbot, tmp_path, clip):
    blocked = tmp_path / "data"
    blocked.write_text("a file where the data folder should be")
    window = make_window(qtbot, tmp_path / "w", clip, data_folder=blocked)
    try:
        window.session.in_out.set_out(3)
        assert not window.autosave.write_now()
        assert "Autosave failed: cannot use" in window.statusBar().currentMessage()
        assert "not protected" in window.statusBar().currentMessage()
    finally:
        close_and_check_threads(qtbot, window)


def test_a_damaged_recovery_file_does_not_stop_the_start(qtbot, tmp_path, clip):
    """A recovery file with a damaged member (a bad sector) is skipped, not a crash."""
    first = make_window(qtbot, tmp_path / "a", clip)
    first.session.in_out.set_out(2)
    first.autosave.write_now()
    first.autosave.store.wait()
    good = first.autosave.store.path
    bad = good.with_name("session-1-1.vgpnn")
    raw = bytearray(good.read_bytes())
    start = raw.index(b"project.json") + len("project.json")  # the deflated document
    for i in range(start + 20, start + 60):
        raw[i] ^= 0xFF
    bad.write_bytes(bytes(raw))
    try:
        assert [o.path for o in first.autosave.store.orphans()] == []  # skipped, no raise
    finally:
        close_and_check_threads(qtbot, first)


def test_recovered_work_stays_protected(qtbot, tmp_path, clip, monkeypatch):
    """Recover writes the session to this editor's own file before the old one goes: a
    second crash right after recovering finds the work again."""
    first, old = orphaned(qtbot, tmp_path, clip)
    second = make_window(qtbot, tmp_path / "b", data_folder=old.parent.parent)
    try:
        monkeypatch.setattr(prompts, "ask_recover", lambda *a: prompts.RECOVER)
        with qtbot.waitSignal(second.source_loaded, timeout=30_000):
            assert second.autosave.offer_recovery()
        qtbot.waitUntil(lambda: not second.clips.loading, timeout=5000)
        mine = second.autosave.store.path
        assert not old.exists() and mine.exists()
        assert load_project(mine).in_out == (0, 2)
    finally:
        close_and_check_threads(qtbot, second)
        close_and_check_threads(qtbot, first)

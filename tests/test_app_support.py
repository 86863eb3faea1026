"""Helpers for the GUI tests (test_app_*.py): a tiny synthetic clip, a window with its own
settings file, and the teardown check that no background thread is left running."""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings

from app.workers import jobs

CLIP_T, CLIP_H, CLIP_W, CLIP_FPS = 8, 32, 48, 10
THREAD_GRACE_MS = 15_000  # a cancelled run must stop well within this, even on a busy CI

# Generous: a draft run on a tiny clip takes seconds, but CI machines are noisy.
RUN_TIMEOUT_MS = 120_000


def wait_for_cancel(cancel: Callable[[], bool], limit_s: float = 60.0) -> None:
    """Hold a worker until its job is cancelled (at most `limit_s`), then raise Cancelled:
    a test that cancels work in progress must not race a run that, on a tiny clip, may
    finish before a late GUI thread gets to the cancel (a loaded CI)."""
    from engine.errors import Cancelled

    deadline = time.monotonic() + limit_s
    while not cancel() and time.monotonic() < deadline:
        time.sleep(0.01)
    if cancel():
        raise Cancelled()


def moving_texture(t: int = CLIP_T, h: int = CLIP_H, w: int = CLIP_W) -> np.ndarray:
    """(T, H, W, 3) uint8: stripes and a diagonal pattern drifting over time."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    frames = []
    for i in range(t):
        r = 128 + 100 * np.sin((xx + 3 * i) / 3.0)
        g = 128 + 100 * np.cos((yy - 2 * i) / 4.0)
        b = ((xx + yy + 5 * i) % 24) * 10
        frames.append(np.stack([r, g, b], axis=-1))
    return np.clip(np.stack(frames), 0, 255).astype(np.uint8)


def write_tiny_clip(folder: Path, name: str = "tiny.mp4") -> Path:
    from engine.io import write_video

    return write_video(moving_texture(), folder / name, fps=Fraction(CLIP_FPS), crf=10)


def make_window(qtbot, tmp_path: Path, clip: Path | None = None, data_folder: Path | None = None):
    """A shown, active main window with settings (and, unless given, its data folder for
    recovery files) in tmp_path; opens `clip` if given."""
    from app.window.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, data_folder=data_folder or tmp_path / "data")
    window.projects.ask_to_save = False  # a test that wants the question answers it
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    # Asked again while waiting: another window that just got the focus can win the first
    # request (offscreen Qt has no window manager to settle it).
    qtbot.waitUntil(lambda: window.activateWindow() or window.isActiveWindow(), timeout=5000)
    if clip is not None:
        open_and_wait(qtbot, window, clip)
    return window


def open_and_wait(qtbot, window, clip: Path) -> None:
    with qtbot.waitSignal(window.source_loaded, timeout=30_000):
        window.projects.open_path(clip)
    qtbot.waitUntil(lambda: not window.clips.loading, timeout=5000)


def close_and_check_threads(qtbot, window) -> None:
    """Close the window; fail if a background QThread is still running afterwards."""
    window.close()
    try:
        qtbot.waitUntil(lambda: not jobs.running_jobs(), timeout=THREAD_GRACE_MS)
    except (AssertionError, qtbot.TimeoutError):  # pytest-qt 4 raises its TimeoutError
        names = [job.name for job in jobs.running_jobs()]
        jobs.stop_all(timeout_ms=None)
        raise AssertionError(f"background threads left running at teardown: {names}") from None
    assert not jobs.running_jobs()


def drag_on_view(view, box, points, button=None) -> None:
    """A mouse drag through (x, y) view coordinates of `box` on pyqtgraph `view`: press,
    moves with the button held, release (sent to the viewport, as a real mouse would)."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    button = button or Qt.MouseButton.LeftButton
    viewport = view.viewport()

    def send(kind, x: float, y: float, held) -> None:
        pos = QPointF(view.mapFromScene(box.mapViewToScene(QPointF(x, y))))
        glob = QPointF(viewport.mapToGlobal(pos.toPoint()))
        pressed = button if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
        QApplication.sendEvent(viewport, QMouseEvent(kind, pos, glob, pressed, held,
                                                     Qt.KeyboardModifier.NoModifier))

    send(QEvent.Type.MouseButtonPress, *points[0], button)
    for x, y in points[1:]:
        send(QEvent.Type.MouseMove, x, y, button)
    send(QEvent.Type.MouseButtonRelease, *points[-1], Qt.MouseButton.NoButton)


def answer_export_dialog(monkeypatch, window, target: Path, folder: Path,
                         kind: str = "mp4") -> None:
    """The export dialog, answered: `kind` (MP4) at CRF 18 to `target`, in `folder`. Shown
    again (a "no" to replacing a file brings it back as it was), it is cancelled."""
    from PySide6.QtWidgets import QDialog

    class Chosen:
        crf = type("Crf", (), {"value": staticmethod(lambda: 18)})

        def __init__(self) -> None:
            self.kind = kind
            self.shown = 0

        def exec(self):
            self.shown += 1
            return QDialog.DialogCode.Accepted if self.shown == 1 else QDialog.DialogCode.Rejected

        def targets(self):
            return [target]

        def folder(self):
            return folder

    monkeypatch.setattr(window.exports, "_dialog", lambda *a, **k: Chosen())

"""What is in flight when another clip arrives: a stroke being dragged, a panel edit inside
its debounce, a favourite waiting for its clip A; and a favourite whose frames the clip no
longer has. Each was found by driving the window (a review, 2026-12-07)."""

from __future__ import annotations

import threading
from fractions import Fraction

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from app.state.settings import Favourite
from app.window import clips as clips_module
from app.window import guided as guided_module
from engine.io import write_video
from tests.test_app_guided import A_H, A_T, A_W, choose_motion, moving_square
from tests.test_app_support import CLIP_T, moving_texture, open_and_wait


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


def test_edits_made_while_a_clip_is_read_stay(draft_window, qtbot, tmp_path, monkeypatch):
    """A seed and a task chosen just before the clip is handed over (still inside the
    panel's debounce) are the new session's, not undone by the old settings shown again."""
    win, gate = draft_window, threading.Event()
    real = clips_module._read

    def read_then_wait(path, cancel):
        result = real(path, cancel)
        gate.wait(30)
        return result

    monkeypatch.setattr(clips_module, "_read", read_then_wait)
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

"""Side by side lines the result up with the frames it was made from: a variable-rate
range's result frame k beside source frame k, an out-of-date result beside its own range
after the in point moved; and a one-frame view stops playback (a review, 2026-12-07)."""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtWidgets import QApplication

from app.state.result_clip import ResultClip
from tests.test_app_support import open_and_wait
from tests.test_io import _variable_rate_file


def _result_of(win, t: int, fps=None, first: int | None = None, last: int | None = None):
    """A final result whose frame k is grey k*20: made from the range set now (or [first,
    last]) of the open clip."""
    io = win.session.in_out
    first = io.in_point if first is None else first
    last = io.out_point if last is None else last
    frames = np.zeros((t, 32, 48, 3), np.uint8)
    for k in range(t):
        frames[k] = k * 20
    request = dataclasses.replace(win.runs.current_request(), seed=7)
    return ResultClip(frames=frames, level=3, levels=3, request=request, display_size=(48, 32),
                      nominal_frames=t, token=(win.session.clip.serial, first, last), fps=fps)


def _beside(win) -> int:
    return int(win.viewer.result.counter.text().split("/")[0]) - 1


def test_a_variable_rate_ranges_result_sits_frame_for_frame_beside_it(window, qtbot, tmp_path):
    """A range at 10 fps of a clip averaging 6.7 fps: its result plays at 10 fps (the range's
    own), and side by side showed result frame k x 1.48 beside source frame k, never
    showing frames 4, 7 and 10."""
    open_and_wait(qtbot, window, _variable_rate_file(tmp_path / "vfr.mp4"))
    window.session.in_out.set_range(0, 11)
    selection = window.runs.current_selection()
    assert float(selection.output_fps) == 10 and window.session.clip.fps < 7
    window.view.set_view_mode("side")
    window.view.show_result(_result_of(window, 12, selection.output_fps))
    shown = []
    for f in range(12):
        window.playback.seek(f)
        shown.append(_beside(window))
    assert shown == list(range(12))


def test_an_out_of_date_result_stays_beside_the_range_it_was_made_from(window, qtbot):
    """Made from frames 2-7, then the in point moved to 4: source frame 5 showed result
    frame 2 (made from source frame 3), and the pane was not redrawn when I was pressed."""
    io, playback = window.session.in_out, window.playback
    io.set_range(1, 6)
    window.view.set_view_mode("side")
    window.view.show_result(_result_of(window, 6))
    playback.seek(4)
    assert _beside(window) == 3
    io.set_range(3, 6)  # I at frame 4
    QApplication.processEvents()
    assert _beside(window) == 3  # still the frame made from source frame 5
    playback.seek(5)
    assert _beside(window) == 4
    window.view.set_view_mode("result")  # the Result view starts at that frame too
    assert window.playback.frame == 4


def test_a_one_frame_view_stops_playback(window, qtbot):
    """Playing, then Tab to a Result view with no result yet (one frame): the button said
    Pause and the speed 2x while nothing moved, and the first Space seemed to do nothing."""
    playback = window.playback
    playback.toggle_play()
    assert playback.playing
    window.view.set_view_mode("result")
    assert window.view.result is None and not playback.playing
    playback.toggle_play()  # Space: plays nothing, and says so
    assert not playback.playing


def test_a_shorter_clip_opened_side_by_side_at_the_end(window, qtbot, tmp_path, caplog):
    """Side by side with the playhead on the last frame, then a shorter clip: its range came
    before the playhead's reset, and showing the old frame raised IndexError (logged, and
    the range's status line lost)."""
    from fractions import Fraction

    from engine.io import write_video
    from tests.test_app_support import moving_texture

    window.view.set_view_mode("side")
    window.playback.end()
    short = write_video(moving_texture(4, 32, 48), tmp_path / "short.mp4", fps=Fraction(10))
    with caplog.at_level("ERROR"):
        open_and_wait(qtbot, window, short)
    assert window.session.clip.length == 4
    assert not [r for r in caplog.records if "failed" in r.getMessage()], caplog.text


def test_the_look_clips_check_needs_no_pytorch():
    """The editor checks a look clip on its GUI thread before a Sketch or Analogy run: that
    check imported engine.tasks (PyTorch), which soon after start waited 1.1-1.8 s on the
    engine's import."""
    import subprocess
    import sys

    code = "import sys, engine.look_clip; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    import app.window.guided as guided

    assert "from engine.tasks" not in open(guided.__file__, encoding="utf-8").read()

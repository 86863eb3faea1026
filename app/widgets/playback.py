"""The playhead: play, J/K/L shuttle and stepping over a clip, driven by a timer.

A QObject with signals (it needs a Qt timer); widgets subscribe to it and write back only
through it. The in/out range is a plain model: app.state.in_out.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal

SHUTTLE_SPEEDS = (1, 2, 4, 8)
TICK_MS = 15  # the timer only wakes us; the frame shown is computed from the clock


class Playback(QObject):
    """A playhead over a clip of `length` frames at `fps`, looping while it plays.

    rate is the signed shuttle speed: 0 stopped, 1 normal forward, -2 twice as fast backward.
    """

    frame_changed = Signal(int)
    state_changed = Signal()  # rate (playing / direction / speed) changed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._length = 1
        self._fps = 25.0
        self._frame = 0
        self._laps = 0  # whole loops played since the clip was set (negative going back)
        self._rate = 0
        self._anchor = 0.0  # frame at the moment the clock was (re)started
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    # -- state -------------------------------------------------------------------------
    @property
    def frame(self) -> int:
        return self._frame

    @property
    def unwrapped(self) -> int:
        """The frame counted on across the loops played: frame + laps * length. A result
        longer than the clip shown beside it plays on by it (side by side)."""
        return self._frame + self._laps * self._length

    @property
    def length(self) -> int:
        return self._length

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def rate(self) -> int:
        return self._rate

    @property
    def playing(self) -> bool:
        return self._rate != 0

    def set_clip(self, length: int, fps: float, frame: int = 0) -> None:
        """A new clip (or a new length): keeps playing if it was playing, unless it has one
        frame (an image, an empty Result view): then it stops, as the button must say (it
        said Pause, and the first Space seemed to do nothing)."""
        self._length = max(1, int(length))
        self._fps = float(fps) if fps and fps > 0 else 25.0
        self._laps = 0
        if self._length <= 1 and self._rate:
            self._set_rate(0)
        self.seek(frame, force=True)

    # -- commands ----------------------------------------------------------------------
    def seek(self, frame: int, force: bool = False) -> None:
        """Go to `frame` (by hand: the laps played are forgotten)."""
        looped, self._laps = self._laps != 0, 0
        frame = min(max(int(frame), 0), self._length - 1)
        self._restart_clock(frame)
        if frame != self._frame or force or looped:  # `unwrapped` changed too
            self._frame = frame
            self.frame_changed.emit(frame)

    def step(self, frames: int) -> None:
        """Stop and move by `frames` (negative goes back), clamped to the clip."""
        self.stop()
        self.seek(self._frame + frames)

    def step_seconds(self, seconds: float) -> None:
        self.step(int(round(seconds * self._fps)) or (1 if seconds > 0 else -1))

    def home(self) -> None:
        self.stop()
        self.seek(0)

    def end(self) -> None:
        self.stop()
        self.seek(self._length - 1)

    def toggle_play(self) -> None:
        self._set_rate(0 if self._rate else 1)

    def stop(self) -> None:
        self._set_rate(0)

    def forward(self) -> None:
        """L: play forward; pressed again while going forward, go faster (1x, 2x, 4x, 8x)."""
        self._set_rate(1 if self._rate <= 0 else _faster(self._rate))

    def reverse(self) -> None:
        """J: play backward; pressed again while going backward, go faster."""
        self._set_rate(-1 if self._rate >= 0 else -_faster(-self._rate))

    # -- internals ---------------------------------------------------------------------
    def _set_rate(self, rate: int) -> None:
        if self._length <= 1:
            rate = 0  # one frame: nothing to play (the button must not say it plays)
        if rate == self._rate:
            return
        self._rate = rate
        self._restart_clock(self._frame)
        if rate and self._length > 1:
            self._timer.start()
        else:
            self._timer.stop()
        self.state_changed.emit()

    def _restart_clock(self, frame: float) -> None:
        self._anchor = float(frame)
        self._clock.start()

    def _tick(self) -> None:
        elapsed = self._clock.elapsed() / 1000.0
        position = self._anchor + self._rate * self._fps * elapsed
        laps, frame = divmod(int(math.floor(position)), self._length)
        if laps:  # looped: count the lap and go on from the same place within the clip
            self._laps += laps
            self._restart_clock(position - laps * self._length)
        if frame != self._frame:
            self._frame = frame
            self.frame_changed.emit(frame)


def _faster(speed: int) -> int:
    i = SHUTTLE_SPEEDS.index(speed) if speed in SHUTTLE_SPEEDS else 0
    return SHUTTLE_SPEEDS[min(i + 1, len(SHUTTLE_SPEEDS) - 1)]

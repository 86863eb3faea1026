"""The in and out points of the source (inclusive frame indices): only that range is used
as the input of a run."""

from __future__ import annotations

from app.state.events import Event


class InOutRange:
    """Clamped to the clip; `changed(first, last)` fires only when the range changes."""

    def __init__(self) -> None:
        self.changed = Event()
        self._length = 1
        self._in = 0
        self._out = 0

    @property
    def in_point(self) -> int:
        return self._in

    @property
    def out_point(self) -> int:
        return self._out

    @property
    def length(self) -> int:
        """Frames of the clip the range lies in."""
        return self._length

    @property
    def count(self) -> int:
        return self._out - self._in + 1

    def reset(self, length: int) -> None:
        self._length = max(1, int(length))
        self._set(0, self._length - 1)

    def set_in(self, frame: int) -> None:
        """A new in point; an in point after the out point moves the out point to the end."""
        frame = self._clamp(frame)
        self._set(frame, self._out if frame <= self._out else self._length - 1)

    def set_out(self, frame: int) -> None:
        """A new out point; an out point before the in point moves the in point to 0."""
        frame = self._clamp(frame)
        self._set(self._in if frame >= self._in else 0, frame)

    def set_range(self, first: int, last: int) -> None:
        first, last = sorted((self._clamp(first), self._clamp(last)))
        self._set(first, last)

    def _clamp(self, frame: int) -> int:
        return min(max(int(frame), 0), self._length - 1)

    def _set(self, first: int, last: int) -> None:
        if (first, last) != (self._in, self._out):
            self._in, self._out = first, last
            self.changed.emit(first, last)

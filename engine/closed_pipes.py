"""A command's messages outlive a reader that went away (`| head`, a closed log viewer).

The product of a command is its output file; what it says on stdout and stderr is a report.
A reader closing its end of a pipe made the next progress line raise BrokenPipeError, which
stopped a generate half-way with nothing written. Now a stream whose reader has gone is
silenced and the work goes on; the exit code is the work's.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO


class _Forgiving:
    """A text stream that turns quiet, instead of raising, once its pipe is closed."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.closed_pipe = False

    def write(self, text: str) -> int:
        if not self.closed_pipe:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._went_away()
            except OSError as exc:  # a full disk under `> file`: say which stream it was
                raise OSError(exc.errno, exc.strerror, getattr(self._stream, "name", "output")) from exc
        return len(text)

    def flush(self) -> None:
        if not self.closed_pipe:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._went_away()

    def _went_away(self) -> None:
        self.closed_pipe = True
        # What is still buffered would fail again at the interpreter's exit ("Exception
        # ignored ... BrokenPipeError", exit code 120): point the descriptor at nothing.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, fileno ...
        return getattr(self._stream, name)


@contextlib.contextmanager
def survive_closed_pipes() -> Iterator[None]:
    """Within the block, stdout and stderr never stop the work because a reader went away."""
    before = sys.stdout, sys.stderr
    if sys.stdout is not None:  # (None under pythonw)
        sys.stdout = _Forgiving(sys.stdout)
    if sys.stderr is not None:
        sys.stderr = _Forgiving(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = before

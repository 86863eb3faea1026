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
    """A text stream that turns quiet, instead of raising, once its pipe is closed. quiet:
    any error writing turns it quiet (stderr: a full disk under `2> log` stopped the run,
    and the message saying so failed on the same stream)."""

    def __init__(self, stream: TextIO, quiet: bool = False) -> None:
        self._stream = stream
        self._quiet = quiet
        self.closed_pipe = False

    def write(self, text: str) -> int:
        if not self.closed_pipe:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._went_away()
            except OSError as exc:  # a full disk under `> file`: say which stream it was
                if self._quiet:
                    self._went_away()
                else:
                    raise OSError(exc.errno, exc.strerror,
                                  getattr(self._stream, "name", "output")) from exc
        return len(text)

    def flush(self) -> None:
        if not self.closed_pipe:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._went_away()
            except OSError:
                if not self._quiet:
                    raise
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
    # None under pythonw, or where the caller closed the descriptor (`>&-`, `2>&-`): the
    # first progress line raised AttributeError, after the work or before any of it.
    sinks = []
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            stream = open(os.devnull, "w")  # noqa: SIM115 (closed below)
            sinks.append(stream)
        setattr(sys, name, _Forgiving(stream, quiet=name == "stderr"))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = before
        for sink in sinks:
            sink.close()

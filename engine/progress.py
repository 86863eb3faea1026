"""A small text progress bar for long CLI commands (stderr, redrawn in place on a TTY)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(self, label: str, stream: TextIO | None = None, width: int = 24) -> None:
        self.label, self.width = label, width
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done: int, total: int, what: str = "level") -> None:
        filled = int(self.width * done / max(1, total))
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"{self.label} [{bar}] {what} {done}/{total}  {time.perf_counter() - self.start:5.1f} s"
        if self.tty:
            self.stream.write("\r" + line)
            if done >= total:
                self.stream.write("\n")
        elif done >= total or done == 1:
            self.stream.write(line + "\n")
        self.stream.flush()

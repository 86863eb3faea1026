"""Atomic file writes: the file is either the old one or the complete new one, never half
written (a crash, a full disk or kill -9 in the middle leaves the old file as it was)."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from engine.io.paths import side_name


def write_atomic(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> Path:
    """Call write(f) on a temporary file in the same folder, flush it to disk, then rename
    it over `path` (same folder: the rename is atomic) and flush the folder entry."""
    path = Path(path)
    tmp = side_name(path.with_suffix(path.suffix + ".tmp"), "save", str(os.getpid()))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)  # a private file stays private
    except OSError:
        mode = None
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _sync_folder(path.parent)
    return path


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no folder handles to sync)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
